from typing import Optional

import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn


@MODELS.register_module()
class MHAttentionMap(BaseModule):
    """DETR's per-query attention maps over the encoder memory.

    ``q = Linear_q(query)``, ``k = Linear_k`` applied as a 1x1 conv to the
    memory map; both split into ``num_heads`` heads, scores scaled by
    ``head_dim ** -0.5`` and normalised by one softmax over heads and
    positions together (not per head). Padded positions get no weight.

    Args:
        query_dim (int): Channels of the decoder queries. Default: 256.
        hidden_dim (int): Channels of q and k. Default: 256.
        num_heads (int): Number of heads (maps per query). Default: 8.
        dropout (float): Dropout on the maps. Default: 0.
        mean_one (bool): Multiply each query's maps by the number of heads
            x unpadded positions, so that they average 1 and a uniform map
            is 1 at any resolution. DETR's maps sum to 1: at a 256x256 crop
            (8 x 8 memory, 8 heads) they average 1/512, beside mask-head
            feature channels of order 1, and a short schedule does not
            train the masks (two photographs overfitted for 200 steps: mask
            dice loss 0.85 -> 0.85 with DETR's maps, 0.85 -> 0.23 with
            ``mean_one``; configs/camvid/README.md). Default: False (DETR).
        activation (str): ``'softmax'`` (DETR: one softmax over heads and
            positions) or ``'sigmoid'``: each head's map a sigmoid of its
            score, position by position. A softmax's maps depend on how
            many positions compete: a small object's peak grows with the
            image (``mean_one``) or its share shrinks (DETR), so maps
            learnt on crops change on whole images. A sigmoid's value at a
            position depends on the query and that position's memory only.
            DETR-seg on CamVid scored as with the softmax (one seed: 58.62
            against 58.48; configs/camvid/README.md). Default:
            ``'softmax'``.
        key_dim (int, optional): Channels of the map the keys come from,
            when it is not as wide as the queries (e.g. a backbone map).
            Default: None (``query_dim``: DETR's encoder memory).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 query_dim: int = 256,
                 hidden_dim: int = 256,
                 num_heads: int = 8,
                 dropout: float = 0.0,
                 mean_one: bool = False,
                 activation: str = 'softmax',
                 key_dim: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if hidden_dim % num_heads:
            raise ValueError(f'hidden_dim={hidden_dim} is not divisible by '
                             f'num_heads={num_heads}')
        if activation not in ('softmax', 'sigmoid'):
            raise ValueError(f"activation={activation!r}: expected 'softmax' "
                             "or 'sigmoid'")
        if activation == 'sigmoid' and mean_one:
            raise ValueError('mean_one rescales a softmax over positions; '
                             "activation='sigmoid' has none")
        self.activation = activation
        self.num_heads = num_heads
        self.head_dim = hidden_dim // num_heads
        self.mean_one = mean_one
        self.q_linear = nn.Linear(query_dim, hidden_dim)
        self.k_linear = nn.Linear(key_dim or query_dim, hidden_dim)
        self.dropout = nn.Dropout(dropout)

    def init_weights(self) -> None:
        for linear in (self.q_linear, self.k_linear):
            nn.init.xavier_uniform_(linear.weight)
            nn.init.zeros_(linear.bias)

    def forward(self,
                query: Tensor,
                memory: Tensor,
                padding_mask: Optional[Tensor] = None,
                image_index: Optional[Tensor] = None) -> Tensor:
        """
        Args:
            query (Tensor): (B, Q, query_dim) decoder outputs, or (N,
                query_dim) queries of the images ``image_index``.
            memory (Tensor): (B, key_dim, h, w) encoder memory map (or the
                map of ``key_dim`` channels the keys come from).
            padding_mask (Tensor, optional): (B, h, w), True where padded.
            image_index (Tensor, optional): (N, ) image of each query when
                ``query`` is (N, query_dim).

        Returns:
            Tensor: (B, Q, num_heads, h, w) or (N, num_heads, h, w)
            attention maps; with the softmax, for each query they sum to 1
            over heads and positions (average 1 with ``mean_one``); padded
            positions are 0.
        """
        k = F.conv2d(memory, self.k_linear.weight[..., None, None],
                     self.k_linear.bias)
        b, _, h, w = k.shape
        k = k.view(b, self.num_heads, self.head_dim, h, w)
        q = self.q_linear(query) * self.head_dim**-0.5
        if image_index is None:
            q = q.view(*q.shape[:2], self.num_heads, self.head_dim)
            scores = torch.einsum('bqnc,bnchw->bqnhw', q, k)
            mask = None if padding_mask is None else padding_mask[:, None,
                                                                  None]
        else:
            # Each query against every image's k, then its own image's
            # scores picked: N x B x heads x h x w values against the
            # N x heads x head_dim x h x w of k gathered per query, so less
            # memory while the batch is smaller than head_dim, and the
            # gathered copy of k dominated the time (DETR-seg with query maps,
            # CamVid, 540x720: 227 ms, now 147-150; compare_heads.py).
            q = q.view(-1, self.num_heads, self.head_dim)
            own = torch.arange(len(q), device=q.device)
            scores = torch.einsum('qnc,bnchw->qbnhw', q, k)[own, image_index]
            mask = None if padding_mask is None else padding_mask[image_index,
                                                                  None]
        if mask is not None:
            scores = scores.masked_fill(mask, float('-inf'))
        if self.activation == 'sigmoid':
            return self.dropout(scores.sigmoid())
        start = scores.dim() - 3  # heads, h, w share one softmax
        weights = scores.flatten(start).softmax(-1).view_as(scores)
        if self.mean_one:
            # Heads x unpadded positions of each query's image.
            count = self.num_heads * (
                h * w if mask is None else (~mask).flatten(start).sum(-1))
            weights = weights * (
                count if mask is None else count.to(weights)[..., None, None,
                                                             None])
        return self.dropout(weights)
