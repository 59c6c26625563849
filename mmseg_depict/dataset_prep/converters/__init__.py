"""Convert datasets as they are downloaded into the layouts configs read."""
from .ade20k_panoptic import ADE150_TO_PANOPTIC, convert_ade20k_panoptic
from .cityscapes import convert_cityscapes
from .cityscapes_panoptic import convert_cityscapes_panoptic
from .custom_dataset import (CustomDatasetError, read_coco_instances,
                             read_label_pngs, read_labelme, write_dataset)
from .pascal_context import (CONTEXT59_CATEGORY_IDS, DetailFormatError,
                             convert_pascal_context)

__all__ = [
    'ADE150_TO_PANOPTIC', 'CONTEXT59_CATEGORY_IDS', 'DetailFormatError',
    'convert_ade20k_panoptic', 'convert_cityscapes',
    'convert_cityscapes_panoptic', 'convert_pascal_context',
    'CustomDatasetError', 'read_coco_instances', 'read_label_pngs',
    'read_labelme', 'write_dataset'
]
