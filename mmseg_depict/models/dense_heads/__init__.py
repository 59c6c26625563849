from .detr_panoptic_head import DETRPanopticHead

__all__ = ['DETRPanopticHead']
