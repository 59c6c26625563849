from .cached_transforms import CachedTransforms
from .check_seg_label_range import CheckSegLabelRange
from .enlarge_short_side import EnlargeShortSide
from .image_corruption import ImageCorruption
from .load_coco_panoptic_annotations import LoadCocoPanopticAnnotations

__all__ = [
    'CachedTransforms', 'CheckSegLabelRange', 'EnlargeShortSide',
    'ImageCorruption', 'LoadCocoPanopticAnnotations'
]
