from .fpn_mask_head import FPNMaskHead
from .mh_attention_map import MHAttentionMap
from .subspace_attention import SubspaceAttention

__all__ = ['FPNMaskHead', 'MHAttentionMap', 'SubspaceAttention']
