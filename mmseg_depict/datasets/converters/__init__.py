"""Convert datasets as they are downloaded into the layouts configs read."""
from .ade20k_panoptic import ADE150_TO_PANOPTIC, convert_ade20k_panoptic
from .cityscapes_panoptic import convert_cityscapes_panoptic

__all__ = [
    'ADE150_TO_PANOPTIC', 'convert_ade20k_panoptic',
    'convert_cityscapes_panoptic'
]
