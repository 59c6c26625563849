from .metrics import PanopticQualityMetric
from .panoptic_folders import PanopticFolders
from .panoptic_quality import PQStats, pq_dataset_stats, pq_image_stats

__all__ = [
    'PQStats', 'PanopticFolders', 'PanopticQualityMetric', 'pq_dataset_stats',
    'pq_image_stats'
]
