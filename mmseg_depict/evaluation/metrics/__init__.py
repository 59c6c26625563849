from .panoptic_quality_metric import PanopticQualityMetric, id2rgb, rgb2id

__all__ = ['PanopticQualityMetric', 'id2rgb', 'rgb2id']
