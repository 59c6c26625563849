from .ckpt_convert import (UnknownCheckpointLayout, convert_depict,
                           convert_timm_vit, detect_depict_mode,
                           resize_pos_embed)
from .detr_convert import convert_detr_panoptic
from .detr_mask_features import DETRMaskFeatures
from .float32_mask_losses import Float32MaskLossesMixin
from .fused_decode_loss import FusedDecodeLossMixin
from .fused_decoder_attention import FusedDecoderAttentionMixin
from .panoptic_targets import class_segments, panoptic_targets, segment_targets

__all__ = [
    'UnknownCheckpointLayout', 'convert_depict', 'convert_timm_vit',
    'detect_depict_mode', 'resize_pos_embed', 'class_segments',
    'panoptic_targets', 'segment_targets', 'convert_detr_panoptic',
    'Float32MaskLossesMixin', 'DETRMaskFeatures', 'FusedDecoderAttentionMixin',
    'FusedDecodeLossMixin'
]
