from .metrics import PanopticQualityMetric, id2rgb, rgb2id
from .panoptic_quality import PQStats, pq_dataset_stats, pq_image_stats
from .panoptic_quality_reference import reference_pq_image_stats

__all__ = [
    'PQStats', 'PanopticQualityMetric', 'id2rgb', 'pq_dataset_stats',
    'pq_image_stats', 'reference_pq_image_stats', 'rgb2id'
]
