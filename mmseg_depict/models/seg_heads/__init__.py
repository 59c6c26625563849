from .detr_panoptic_fusion import DETRPanopticFusion

__all__ = ['DETRPanopticFusion']
