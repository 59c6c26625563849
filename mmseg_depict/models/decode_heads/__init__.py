from .depict_head import DEPICTHead
from .detr_seg_head import DETRSegHead

__all__ = ['DEPICTHead', 'DETRSegHead']
