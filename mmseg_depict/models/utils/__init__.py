from .detr_mask_features import DETRMaskFeatures
from .float32_mask_losses import Float32MaskLossesMixin
from .fused_decode_loss import FusedDecodeLossMixin
from .fused_decoder_attention import FusedDecoderAttentionMixin
from .panoptic_targets import class_segments, panoptic_targets, segment_targets

__all__ = [
    'class_segments', 'panoptic_targets', 'segment_targets',
    'Float32MaskLossesMixin', 'DETRMaskFeatures', 'FusedDecoderAttentionMixin',
    'FusedDecodeLossMixin'
]
