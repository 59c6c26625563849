from .float32_msdeformattn_pixel_decoder import Float32MSDeformAttnPixelDecoder
from .fpn_mask_head import FPNMaskHead
from .fused_multihead_attention import (FusedMultiheadAttention,
                                        fuse_multihead_attention)
from .mh_attention_map import MHAttentionMap
from .subspace_attention import SubspaceAttention

__all__ = [
    'Float32MSDeformAttnPixelDecoder', 'FPNMaskHead',
    'FusedMultiheadAttention', 'MHAttentionMap', 'SubspaceAttention',
    'fuse_multihead_attention'
]
