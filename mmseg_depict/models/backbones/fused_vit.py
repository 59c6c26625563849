from mmseg.models.backbones import VisionTransformer
from mmseg.registry import MODELS

from ..layers.fused_multihead_attention import fuse_multihead_attention


@MODELS.register_module()
class FusedVisionTransformer(VisionTransformer):
    """mmseg's ViT whose attention runs PyTorch's fused kernel.

    mmseg 1.2.2's ``VisionTransformer`` attends through mmcv 2.1.0's
    ``MultiheadAttention``, which never reaches
    ``F.scaled_dot_product_attention`` and stores every (N, N) attention
    matrix in training and inference. Here each layer's ``attn`` is a
    :class:`~mmseg_depict.models.layers.FusedMultiheadAttention`: the same
    function on the same parameters and state-dict keys, so mmseg, timm
    (converted) and release checkpoints load unchanged.

    Args:
        fused_attention (bool): Use the fused kernel (default). ``False``
            keeps mmcv's explicit path, exactly mmseg's ViT (for comparisons).
        **kwargs: As for :class:`mmseg.models.backbones.VisionTransformer`.
    """

    def __init__(self, fused_attention: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.fused_attention = fused_attention
        if fused_attention:
            fuse_multihead_attention(self.layers)
