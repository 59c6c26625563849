from .fpn_mask_head import FPNMaskHead
from .fused_multihead_attention import (FusedMultiheadAttention,
                                        fuse_multihead_attention)
from .mh_attention_map import MHAttentionMap
from .subspace_attention import SubspaceAttention

__all__ = [
    'FPNMaskHead', 'FusedMultiheadAttention', 'MHAttentionMap',
    'SubspaceAttention', 'fuse_multihead_attention'
]
