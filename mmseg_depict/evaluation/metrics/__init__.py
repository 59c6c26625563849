from .panoptic_quality_metric import PanopticQualityMetric
from .per_image_iou_metric import PerImageIoUMetric, per_image_areas

__all__ = ['PanopticQualityMetric', 'PerImageIoUMetric', 'per_image_areas']
