from .layouts import (LAYOUTS, make_ade20k, make_cityscapes,
                      make_coco_panoptic, make_pascal_context)
from .scenes import SCENE_CLASSES, render_scene

__all__ = [
    'LAYOUTS', 'SCENE_CLASSES', 'make_ade20k', 'make_cityscapes',
    'make_coco_panoptic', 'make_pascal_context', 'render_scene'
]
