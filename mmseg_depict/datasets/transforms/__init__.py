from .check_seg_label_range import CheckSegLabelRange
from .load_coco_panoptic_annotations import LoadCocoPanopticAnnotations

__all__ = ['CheckSegLabelRange', 'LoadCocoPanopticAnnotations']
