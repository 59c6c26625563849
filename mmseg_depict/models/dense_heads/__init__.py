from .amp_mask2former_head import AmpMask2FormerHead
from .detr_panoptic_head import DETRPanopticHead

__all__ = ['AmpMask2FormerHead', 'DETRPanopticHead']
