from .panoptic_quality_metric import PanopticQualityMetric

__all__ = ['PanopticQualityMetric']
