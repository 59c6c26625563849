from .ckpt_convert import (UnknownCheckpointLayout, convert_depict,
                           convert_timm_vit, detect_depict_mode,
                           resize_pos_embed)
from .detr_convert import convert_detr_panoptic
from .detr_mask_features import DETRMaskFeatures
from .efficientnet_lite_convert import (convert_efficientnet_lite,
                                        installed_weights)
from .float32_mask_losses import Float32MaskLossesMixin
from .fused_decode_loss import FusedDecodeLossMixin
from .fused_decoder_attention import FusedDecoderAttentionMixin
from .panoptic_targets import class_segments, panoptic_targets, segment_targets

__all__ = [
    'UnknownCheckpointLayout', 'convert_depict', 'convert_timm_vit',
    'detect_depict_mode', 'resize_pos_embed', 'class_segments',
    'panoptic_targets', 'segment_targets', 'convert_detr_panoptic',
    'convert_efficientnet_lite', 'installed_weights', 'Float32MaskLossesMixin',
    'DETRMaskFeatures', 'FusedDecoderAttentionMixin', 'FusedDecodeLossMixin'
]
