from .amp_mask2former_head import AmpMask2FormerSegHead
from .depict_head import DEPICTHead
from .detr_seg_head import DETRSegHead

__all__ = ['AmpMask2FormerSegHead', 'DEPICTHead', 'DETRSegHead']
