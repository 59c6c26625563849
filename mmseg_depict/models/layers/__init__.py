from .subspace_attention import SubspaceAttention

__all__ = ['SubspaceAttention']
