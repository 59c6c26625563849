from .panoptic_detr import PanopticDETR

__all__ = ['PanopticDETR']
