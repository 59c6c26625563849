from .check_seg_label_range import CheckSegLabelRange

__all__ = ['CheckSegLabelRange']
