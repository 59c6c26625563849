from mmdet.models.dense_heads import Mask2FormerHead
from mmdet.registry import MODELS

from ..utils.float32_mask_losses import Float32MaskLossesMixin
from ..utils.fused_decoder_attention import FusedDecoderAttentionMixin


@MODELS.register_module()
class AmpMask2FormerHead(Float32MaskLossesMixin, FusedDecoderAttentionMixin,
                         Mask2FormerHead):
    """mmdet 3.3.0's ``Mask2FormerHead`` (panoptic / instance) that trains
    under ``--amp``: its matching and losses run in float32.

    Same arguments, parameters and state-dict keys as ``Mask2FormerHead``;
    in float32 it computes exactly what the upstream head does. Why and
    what overflows upstream: :class:`Float32MaskLossesMixin`. With
    ``fused_attention=True`` its decoder attends through PyTorch's fused
    kernel (:class:`FusedDecoderAttentionMixin`).
    """
