from ..layers.fused_multihead_attention import fuse_multihead_attention


class FusedDecoderAttentionMixin:
    """A Mask2Former head whose transformer decoder attends through
    ``F.scaled_dot_product_attention``.

    mmdet 3.3.0's ``Mask2FormerTransformerDecoder`` builds mmcv's
    ``MultiheadAttention``, which never reaches PyTorch's fused kernels
    (see :class:`~mmseg_depict.models.layers.FusedMultiheadAttention`).
    With ``fused_attention=True`` its modules are converted in place after
    the upstream ``__init__``: same parameters and state-dict keys, the same
    function (float64 test: 1e-10), the masked attention's boolean masks
    included. Off by default: on a CPU it does not measurably pay (100
    queries over at most 64x64 tokens: small matrices;
    ``benchmark_speedups.py --parts mmdet``, docs/benchmarks.md); on GPUs
    it is not measured yet.

    Args:
        fused_attention (bool): Convert the decoder's attention (default:
            keep mmcv's modules).
        *args, **kwargs: The head's own arguments.
    """

    def __init__(self, *args, fused_attention: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fused_attention = fused_attention
        if fused_attention:
            fuse_multihead_attention(self.transformer_decoder)
