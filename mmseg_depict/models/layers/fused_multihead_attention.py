"""mmcv's ``MultiheadAttention`` computed by PyTorch's fused attention kernel.

mmcv 2.1.0's ``MultiheadAttention`` (used by mmseg 1.2.2's
``VisionTransformer`` layers and by mmdet 3.3.0's DETR / Mask2Former
transformers) calls ``torch.nn.MultiheadAttention`` with its default
``need_weights=True``. PyTorch then takes its explicit
``bmm -> softmax -> bmm`` path, which keeps the whole (B*heads, N, N)
attention matrix for the backward pass, and never reaches
``F.scaled_dot_product_attention`` (its fast path is ruled out as well: mmcv
passes query, key and value as three transposed tensors to a module built with
``batch_first=False``). :class:`FusedMultiheadAttention` computes the same
function with ``F.scaled_dot_product_attention`` — flash / memory-efficient
kernels that never store the attention matrix — on the very same parameters.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks.transformer import MultiheadAttention
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class FusedMultiheadAttention(MultiheadAttention):
    """mmcv's ``MultiheadAttention`` through ``scaled_dot_product_attention``.

    Same constructor, parameters, state-dict keys (``attn.in_proj_weight``,
    ``attn.in_proj_bias``, ``attn.out_proj.*``) and forward signature as
    ``mmcv.cnn.bricks.transformer.MultiheadAttention``; attention dropout
    (``attn_drop``) is applied by the kernel in training. Masks follow
    ``torch.nn.MultiheadAttention``'s convention (boolean ``True`` = may not
    attend, float = added to the logits). Modules built with options the
    kernel path does not cover (``add_bias_kv``, ``add_zero_attn``) run
    mmcv's own forward.

    :func:`fuse_multihead_attention` converts existing modules in place.
    """

    def forward(self,
                query: Tensor,
                key: Optional[Tensor] = None,
                value: Optional[Tensor] = None,
                identity: Optional[Tensor] = None,
                query_pos: Optional[Tensor] = None,
                key_pos: Optional[Tensor] = None,
                attn_mask: Optional[Tensor] = None,
                key_padding_mask: Optional[Tensor] = None,
                **kwargs) -> Tensor:
        """Attention with the identity connection, as mmcv's.

        Args:
            query (Tensor): (B, Nq, C) if ``batch_first`` else (Nq, B, C).
            key (Tensor, optional): (B, Nk, C) / (Nk, B, C); ``query`` if None.
            value (Tensor, optional): As ``key``; ``key`` if None.
            identity (Tensor, optional): Added to the output; ``query`` (before
                ``query_pos``) if None.
            query_pos (Tensor, optional): Added to ``query``; also to ``key``
                when ``key_pos`` is None and the shapes agree.
            key_pos (Tensor, optional): Added to ``key``.
            attn_mask (Tensor, optional): (Nq, Nk) or (B*heads, Nq, Nk).
            key_padding_mask (Tensor, optional): (B, Nk).

        Returns:
            Tensor: Same shape and layout as ``query``.
        """
        mha = self.attn
        if mha.bias_k is not None or mha.add_zero_attn:
            return super().forward(query, key, value, identity, query_pos,
                                   key_pos, attn_mask, key_padding_mask,
                                   **kwargs)
        if key is None:
            key = query
        if value is None:
            value = key
        if identity is None:
            identity = query
        if key_pos is None and query_pos is not None \
                and query_pos.shape == key.shape:
            key_pos = query_pos
        # One input with no position: q, k and v share one matrix product.
        self_attention = (
            key is query and value is query and query_pos is None
            and key_pos is None)
        if query_pos is not None:
            query = query + query_pos
        if key_pos is not None:
            key = key + key_pos
        if not self.batch_first:
            query, key, value = (
                t.transpose(0, 1) for t in (query, key, value))

        q, k, v = self._project(query, key, value, self_attention)
        mask = self._sdpa_mask(attn_mask, key_padding_mask, q)
        out = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=mask,
            dropout_p=mha.dropout if self.training else 0.0)
        batch, _, num_queries, _ = out.shape
        out = out.transpose(1, 2).reshape(batch, num_queries, self.embed_dims)
        out = F.linear(out, mha.out_proj.weight, mha.out_proj.bias)
        if not self.batch_first:
            out = out.transpose(0, 1)
        return identity + self.dropout_layer(self.proj_drop(out))

    def _project(self, query: Tensor, key: Tensor, value: Tensor,
                 self_attention: bool) -> tuple:
        """Batch-first (B, N, C) inputs -> q, k, v, each (B, heads, N, d)."""
        mha = self.attn
        heads = self.num_heads

        def split(t: Tensor) -> Tensor:
            return t.unflatten(-1, (heads, -1)).transpose(1, 2)

        if mha._qkv_same_embed_dim and self_attention:
            # One matrix product for q, k and v, as torch's packed path.
            qkv = F.linear(query, mha.in_proj_weight, mha.in_proj_bias)
            qkv = qkv.unflatten(-1, (3, heads, -1)).permute(2, 0, 3, 1, 4)
            return qkv[0], qkv[1], qkv[2]
        if mha._qkv_same_embed_dim:
            weights = mha.in_proj_weight.chunk(3)
        else:  # kdim / vdim other than embed_dims
            weights = (mha.q_proj_weight, mha.k_proj_weight, mha.v_proj_weight)
        biases = (None, ) * 3 if mha.in_proj_bias is None else \
            mha.in_proj_bias.chunk(3)
        return tuple(
            split(F.linear(t, w, b))
            for t, w, b in zip((query, key, value), weights, biases))

    def _sdpa_mask(self, attn_mask: Optional[Tensor],
                   key_padding_mask: Optional[Tensor],
                   q: Tensor) -> Optional[Tensor]:
        """torch.nn.MultiheadAttention's masks -> one SDPA mask.

        Boolean masks are inverted (SDPA: ``True`` = may attend); a float
        mask is added to the logits, booleans then become ``-inf``.
        """
        batch, heads, num_queries, _ = q.shape
        masks = []
        if attn_mask is not None:
            if attn_mask.dim() == 3:
                attn_mask = attn_mask.view(batch, heads, num_queries, -1)
            masks.append(attn_mask)
        if key_padding_mask is not None:
            masks.append(key_padding_mask.view(batch, 1, 1, -1))
        if not masks:
            return None
        if all(m.dtype == torch.bool for m in masks):
            allowed = ~masks[0]
            for m in masks[1:]:
                allowed = allowed & ~m
            return allowed
        additive = None
        for m in masks:
            if m.dtype == torch.bool:
                m = torch.zeros_like(
                    m, dtype=q.dtype).masked_fill(m, float('-inf'))
            else:
                m = m.to(q.dtype)
            additive = m if additive is None else additive + m
        return additive


def fuse_multihead_attention(module: nn.Module) -> int:
    """Make every mmcv ``MultiheadAttention`` in ``module`` a fused one.

    The modules keep their parameters, buffers, hooks and state-dict keys;
    only their class changes (as ``torch.nn.utils.parametrize`` does), so
    checkpoints and optimizers are unaffected.

    Args:
        module (nn.Module): Any module tree (a backbone, a whole model).

    Returns:
        int: How many attention modules were converted.
    """
    swapped = [m for m in module.modules() if type(m) is MultiheadAttention]
    for m in swapped:
        m.__class__ = FusedMultiheadAttention
    return len(swapped)
