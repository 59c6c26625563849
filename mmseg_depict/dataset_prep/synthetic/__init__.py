from .layouts import (SYNTHETIC_MAKERS, make_ade20k, make_camvid,
                      make_cityscapes, make_coco_panoptic, make_pascal_context)
from .scenes import SCENE_CLASSES, render_scene

__all__ = [
    'SYNTHETIC_MAKERS', 'SCENE_CLASSES', 'make_ade20k', 'make_camvid',
    'make_cityscapes', 'make_coco_panoptic', 'make_pascal_context',
    'render_scene'
]
