from mmseg.models.decode_heads import Mask2FormerHead
from mmseg.registry import MODELS

from ..utils.float32_mask_losses import Float32MaskLossesMixin
from ..utils.fused_decoder_attention import FusedDecoderAttentionMixin


@MODELS.register_module()
class AmpMask2FormerSegHead(Float32MaskLossesMixin, FusedDecoderAttentionMixin,
                            Mask2FormerHead):
    """mmseg 1.2.2's ``Mask2FormerHead`` (semantic; mmdet's head behind
    mmseg's data samples) that trains under ``--amp``: its matching and
    losses run in float32.

    Same arguments, parameters and state-dict keys as mmseg's
    ``Mask2FormerHead``; in float32 it computes exactly what the upstream
    head does. Why and what overflows upstream:
    :class:`Float32MaskLossesMixin`. With ``fused_attention=True`` its
    decoder attends through PyTorch's fused kernel
    (:class:`FusedDecoderAttentionMixin`).
    """
