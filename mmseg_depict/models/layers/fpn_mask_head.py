from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

from .mh_attention_map import MHAttentionMap


def _conv_gn(in_channels: int, out_channels: int, groups: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1),
        nn.GroupNorm(groups, out_channels), nn.ReLU(inplace=True))


@MODELS.register_module()
class FPNMaskHead(BaseModule):
    """DETR's small FPN mask head: one mask logit map per query, stride 4.

    Input per query: the projected stride-32 feature concatenated with the
    query's attention maps. Two 3x3 conv-GN-ReLU stages, then one FPN step
    per finer level (1x1 adapter of the backbone feature + nearest upsample,
    3x3 conv-GN-ReLU halving the channels), and a final 3x3 conv to 1.
    Backbone features are adapted once per image and shared by its queries.

    DETR's head knows which query it draws only from that query's stride-32
    maps: the FPN features it adds on the way up are the same for every
    query. ``query_map_levels`` (not in DETR) also gives chosen FPN steps the
    query's own maps at their stride: a :class:`MHAttentionMap` of the query
    over that step's backbone map (sigmoid per position, so that a map does
    not depend on the image's size), concatenated before the step's conv.
    On CamVid, DETR's head painted 36 % of the bicyclists' pixels
    pedestrian (a cyclist shares the stride-32 cells of the person on it);
    with the maps at stride 16 and 8, 11 %, and DETR-seg's mIoU rose from
    60.1 to 66.8 (configs/camvid/README.md).

    Args:
        in_channels (int): Projected feature channels (256).
        num_heads (int): Attention maps per query (8).
        fpn_channels (Sequence[int]): Backbone channels from coarse to fine
            (res4, res3, res2), one FPN step each (DETR has three; a
            transformer on the stride-16 map leaves two). Default: (1024,
            512, 256).
        context_channels (int): Sets the stage widths: context / 2 after the
            stem, then halved after each FPN step. Default: 256 (128, 64,
            32, 16 for three steps).
        num_groups (int): GroupNorm groups. Default: 8.
        query_map_levels (Sequence[int]): FPN steps (0 = the first,
            coarsest) that also read the query's attention maps over their
            backbone map. Default: () (DETR).
        query_dim (int): Channels of the queries, for ``query_map_levels``.
            Default: 256.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int = 256,
                 num_heads: int = 8,
                 fpn_channels: Sequence[int] = (1024, 512, 256),
                 context_channels: int = 256,
                 num_groups: int = 8,
                 query_map_levels: Sequence[int] = (),
                 query_dim: int = 256,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        bad = [i for i in query_map_levels if not 0 <= i < len(fpn_channels)]
        if bad:
            raise ValueError(f'query_map_levels={tuple(query_map_levels)}: '
                             f'{bad} are not FPN steps 0..'
                             f'{len(fpn_channels) - 1}')
        dim = in_channels + num_heads
        num_stages = len(fpn_channels) + 1  # the stem and each FPN step
        widths = [context_channels // 2**(i + 1) for i in range(num_stages)]
        self.stem = nn.Sequential(
            _conv_gn(dim, dim, num_groups), _conv_gn(dim, widths[0],
                                                     num_groups))
        self.adapters = nn.ModuleList(
            nn.Conv2d(c, w, 1) for c, w in zip(fpn_channels, widths))
        self.query_maps = nn.ModuleDict()
        for i in sorted(set(query_map_levels)):
            self.query_maps[str(i)] = MHAttentionMap(
                query_dim=query_dim,
                hidden_dim=query_dim,
                num_heads=num_heads,
                activation='sigmoid',
                key_dim=fpn_channels[i])
        self.fpn_convs = nn.ModuleList(
            _conv_gn(w + (num_heads if str(i) in self.query_maps else 0),
                     w_next, num_groups)
            for i, (w, w_next) in enumerate(zip(widths[:-1], widths[1:])))
        self.out_conv = nn.Conv2d(widths[-1], 1, 3, padding=1)

    def init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                nn.init.zeros_(m.bias)
        for query_map in self.query_maps.values():
            query_map.init_weights()

    def forward(self,
                feature: Tensor,
                attention: Tensor,
                fpn_feats: List[Tensor],
                image_index: Tensor,
                queries: Optional[Tensor] = None) -> Tensor:
        """
        Args:
            feature (Tensor): (B, in_channels, h, w) projected stride-32
                feature.
            attention (Tensor): (N, num_heads, h, w) attention maps of N
                queries.
            fpn_feats (list[Tensor]): Backbone maps from coarse to fine,
                (B, fpn_channels[i], H_i, W_i).
            image_index (Tensor): (N, ) image of each query.
            queries (Tensor, optional): (N, query_dim) the queries, needed
                with ``query_map_levels``.

        Returns:
            Tensor: (N, H_last, W_last) mask logits (stride of the finest
            ``fpn_feats``).
        """
        # index_select, not indexing: its backward is an index_add, 2.4x
        # faster than indexing's accumulating index_put (88 queries of 8
        # images, 16 x 64 x 64, on a 2-core CPU; one measurement).
        x = self.stem(
            torch.cat([feature.index_select(0, image_index), attention],
                      dim=1))
        if self.query_maps and queries is None:
            steps = [int(i) for i in self.query_maps]
            raise ValueError(f'FPNMaskHead(query_map_levels={steps}) needs '
                             'the queries')
        for i, (adapter, conv, fpn) in enumerate(
                zip(self.adapters, self.fpn_convs, fpn_feats)):
            lateral = adapter(fpn).index_select(0, image_index)
            x = lateral + F.interpolate(x, size=lateral.shape[-2:])
            if str(i) in self.query_maps:
                maps = self.query_maps[str(i)](
                    queries, fpn, image_index=image_index)
                x = torch.cat([x, maps], dim=1)
            x = conv(x)
        return self.out_conv(x).squeeze(1)
