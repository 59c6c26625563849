import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor


class SubspaceAttention(BaseModule):
    """One pre-normed, residual subspace attention layer of DEPICT.

    The tokens are projected onto ``num_heads`` subspaces of width
    ``head_dims`` by a single matrix ``P`` (no bias) that also serves as
    queries, keys, values and (transposed) output projection. A learnable
    scalar ``step_size`` scales the update. There is no MLP.

    * Self mode (MSSA), ``query=None``: ``W = LN(x) P^T`` and
      ``x + g * (softmax(W W^T / sqrt(m)) W) P``.
    * Cross mode (MSCA), ``query`` given: ``W = LN(x) P^T``, ``Q = query P^T``
      (queries are not normalised) and
      ``query + g * (softmax(Q W^T / sqrt(m)) W) P``; ``x`` is unchanged.

    Args:
        embed_dims (int): Token width ``d``.
        num_heads (int): Number of subspaces ``H``.
        head_dims (int): Width ``m`` of each subspace.
        attn_drop (float): Dropout on the attention weights during training.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 head_dims: int,
                 attn_drop: float = 0.0) -> None:
        super().__init__()
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.head_dims = head_dims
        self.attn_drop = attn_drop
        self.norm = nn.LayerNorm(embed_dims)
        self.proj = nn.Parameter(
            torch.empty(num_heads * head_dims, embed_dims))
        self.step_size = nn.Parameter(torch.empty(1))
        self.init_weights()

    def init_weights(self) -> None:
        """``P ~ N(0, 1/d)``, ``g ~ N(0, 1)`` (it may start negative)."""
        nn.init.normal_(self.proj, std=self.embed_dims**-0.5)
        nn.init.normal_(self.step_size)
        nn.init.ones_(self.norm.weight)
        nn.init.zeros_(self.norm.bias)

    def _split_heads(self, t: Tensor) -> Tensor:
        """(B, L, H*m) -> (B, H, L, m) as a strided view (no copy)."""
        batch, length, _ = t.shape
        return t.view(batch, length, self.num_heads,
                      self.head_dims).transpose(1, 2)

    def forward(self, x: Tensor, query: Tensor = None) -> Tensor:
        """Apply the layer.

        Args:
            x (Tensor): Tokens, shape (B, N, d).
            query (Tensor, optional): Class queries, shape (B, K, d). When
                given, the layer runs in cross mode and updates them.

        Returns:
            Tensor: Updated ``x`` (B, N, d) in self mode, updated ``query``
            (B, K, d) in cross mode.
        """
        w = self._split_heads(F.linear(self.norm(x), self.proj))
        if query is None:
            residual, q = x, w
        else:
            residual, q = query, self._split_heads(F.linear(query, self.proj))
        # Q, K and V share the subspace projection, so the fused kernel
        # reads the same tensor three times and never materialises A.
        out = F.scaled_dot_product_attention(
            q, w, w, dropout_p=self.attn_drop if self.training else 0.0)
        out = out.transpose(1, 2).flatten(2)
        return residual + self.step_size * (out @ self.proj)
