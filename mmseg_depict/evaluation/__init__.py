from mmseg_depict_light.panoptic_folders import PanopticFolders
from mmseg_depict_light.panoptic_quality import (PQStats, pq_dataset_stats,
                                                 pq_image_stats)
from .metrics import PanopticQualityMetric

__all__ = [
    'PQStats', 'PanopticFolders', 'PanopticQualityMetric', 'pq_dataset_stats',
    'pq_image_stats'
]
