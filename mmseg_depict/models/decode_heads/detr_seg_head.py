from typing import Dict, List, Sequence

import torch
from mmdet.models.layers import (DetrTransformerDecoder,
                                 DetrTransformerEncoder,
                                 SinePositionalEncoding)
from mmdet.registry import MODELS as MMDET_MODELS
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from torch import Tensor, nn

from ..utils.detr_mask_features import DETRMaskFeatures
from ..utils.panoptic_targets import class_segments, segment_targets


def _detr_layer(cross_attention: bool, embed_dims: int = 256) -> dict:
    """A DETR transformer layer: 8 heads, FFN 2048, dropout 0.1."""
    attention = dict(
        embed_dims=embed_dims, num_heads=8, dropout=0.1, batch_first=True)
    layer = dict(
        self_attn_cfg=attention,
        ffn_cfg=dict(
            embed_dims=embed_dims,
            feedforward_channels=2048,
            num_fcs=2,
            ffn_drop=0.1,
            act_cfg=dict(type='ReLU', inplace=True)))
    if cross_attention:
        layer['cross_attn_cfg'] = attention
    return layer


#: How query masks become class scores (see :class:`DETRSegHead`).
SEMANTIC_FUSIONS = ('detr', 'mask_sum')

#: DETR's published settings, used where a config gives none.
DETR_ENCODER = dict(num_layers=6, layer_cfg=_detr_layer(False))
DETR_DECODER = dict(
    num_layers=6, layer_cfg=_detr_layer(True), return_intermediate=True)


@MODELS.register_module()
class DETRSegHead(BaseDecodeHead):
    """DETR's panoptic head as an mmseg decode head (semantic segmentation).

    The DETR transformer (1x1 input projection of the coarsest feature, 6
    encoder + 6 decoder layers, sine positions, learned queries) runs inside
    the head; class and box heads, Hungarian matching, the attention map,
    the FPN mask head and all losses are :class:`DETRPanopticHead`'s
    (``self.detr``). Targets come from the label map: one segment per class
    present, its box from its mask.

    Inference (``semantic_fusion``), from the last decoder layer:

    * ``'detr'``: DETR's panoptic post-processing read as semantic scores.
      The queries whose best class is not no-object are kept (the best
      query if none is); a softmax over the kept queries' mask logits
      shares each pixel among them and a class scores its best query's
      share, so the arg-max class is that of the query with the largest
      mask logit, as in DETR. Without DETR's 0.85 score threshold:
      every pixel of a semantic map needs a class (on CamVid the threshold
      cost 6 mIoU, configs/camvid/README.md).
    * ``'mask_sum'``: MaskFormer's semantic inference: the sum over queries
      of class probabilities (no-object dropped) times mask sigmoids.

    Args:
        in_channels (Sequence[int]): Channels of the four selected inputs,
            fine to coarse (e.g. R50 res2..res5, or a ViT pyramid).
        num_classes (int): Number of classes.
        in_index (Sequence[int]): The four inputs. Default: (0, 1, 2, 3).
        embed_dims (int): Transformer width. Default: 256.
        num_queries (int): Queries. Default: 100.
        encoder (dict, optional): ``DetrTransformerEncoder`` config.
            Default: :data:`DETR_ENCODER` (6 layers, 8 heads, FFN 2048).
        decoder (dict, optional): ``DetrTransformerDecoder`` config.
            Default: :data:`DETR_DECODER`.
        positional_encoding (dict): ``SinePositionalEncoding`` config.
        semantic_fusion (str): ``'detr'`` or ``'mask_sum'`` (above).
            Default: ``'detr'``.
        detr_head (dict, optional): :class:`DETRPanopticHead` arguments
            (losses, ``train_cfg`` with the assigner, mask branch); class
            counts and FPN channels are filled in. Default: its own defaults,
            which are DETR's (mmdet ``DETRHead``: CE 1 with no-object 0.1,
            L1 5, GIoU 2 and the same matching costs; focal + dice 1).
        **kwargs: :class:`BaseDecodeHead` arguments (``ignore_index``,
            ``align_corners``, ...).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 num_classes: int,
                 in_index: Sequence[int] = (0, 1, 2, 3),
                 embed_dims: int = 256,
                 num_queries: int = 100,
                 encoder: dict = None,
                 decoder: dict = None,
                 positional_encoding: dict = dict(
                     num_feats=128, normalize=True),
                 semantic_fusion: str = 'detr',
                 detr_head: dict = None,
                 **kwargs) -> None:
        if semantic_fusion not in SEMANTIC_FUSIONS:
            raise ValueError(f'semantic_fusion={semantic_fusion!r}: expected '
                             f'one of {SEMANTIC_FUSIONS}')
        # No conv_seg to initialise: the weights are set in init_weights.
        kwargs.setdefault('init_cfg', None)
        kwargs.setdefault('loss_decode',
                          dict(type='CrossEntropyLoss',
                               loss_weight=0.0))  # unused: DETR's own
        super().__init__(
            in_channels=list(in_channels),
            channels=embed_dims,
            num_classes=num_classes,
            in_index=list(in_index),
            input_transform='multiple_select',
            **kwargs)
        del self.conv_seg
        self.semantic_fusion = semantic_fusion
        self.input_proj = nn.Conv2d(in_channels[-1], embed_dims, 1)
        self.positional_encoding = SinePositionalEncoding(
            **positional_encoding)
        self.encoder = DetrTransformerEncoder(**(encoder or DETR_ENCODER))
        self.decoder = DetrTransformerDecoder(**(decoder or DETR_DECODER))
        self.query_embedding = nn.Embedding(num_queries, embed_dims)
        detr_head = dict(detr_head or {})
        detr_head['mask_head'] = dict(
            detr_head.get('mask_head', dict(type='FPNMaskHead')),
            in_channels=embed_dims,
            query_dim=embed_dims,
            fpn_channels=tuple(in_channels[-2::-1]))
        # The DETR head and everything it builds are mmdet modules.
        with DefaultScope.overwrite_default_scope('mmdet'):
            self.detr = MMDET_MODELS.build(
                dict(
                    detr_head,
                    type='DETRPanopticHead',
                    num_things_classes=0,
                    num_stuff_classes=num_classes,
                    embed_dims=embed_dims))

    def init_weights(self) -> None:
        """The DETR head initialises itself (as a child module, once);
        the transformer gets DETR's Xavier-uniform weights."""
        super().init_weights()
        for coder in (self.encoder, self.decoder):
            for p in coder.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)

    def _transformer(self, inputs: List[Tensor]) -> dict:
        """Decoder states of every layer and what the mask branch reads."""
        feats = self._transform_inputs(inputs)
        feature = self.input_proj(feats[-1])
        b, c, h, w = feature.shape
        pos = self.positional_encoding(None, input=feature)
        tokens = feature.flatten(2).transpose(1, 2)
        pos = pos.flatten(2).transpose(1, 2)
        memory = self.encoder(
            query=tokens, query_pos=pos, key_padding_mask=None)
        query_pos = self.query_embedding.weight[None].expand(b, -1, -1)
        hidden_states = self.decoder(
            query=torch.zeros_like(query_pos),
            key=memory,
            value=memory,
            query_pos=query_pos,
            key_pos=pos,
            key_padding_mask=None)
        return dict(
            hidden_states=hidden_states,
            mask_features=DETRMaskFeatures.from_encoder(
                memory, None, feature, feats[:-1]))

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """
        Args:
            inputs (list[Tensor]): Backbone / neck outputs.

        Returns:
            Tensor: (B, num_classes, H/4, W/4) class scores of the pixels
            at the finest selected stride.
        """
        head_inputs = self._transformer(inputs)
        hidden = head_inputs['hidden_states']
        cls_scores, _ = self.detr(hidden[-1:])
        masks = self.detr.every_query_mask_logits(hidden[-1],
                                                  head_inputs['mask_features'])
        probs = cls_scores[-1].softmax(-1)
        if self.semantic_fusion == 'mask_sum':
            return torch.einsum('bqc,bqhw->bchw', probs[..., :-1],
                                masks.sigmoid())
        return self._query_votes(probs, masks)

    @staticmethod
    def _query_votes(probs: Tensor, mask_logits: Tensor) -> Tensor:
        """``'detr'`` fusion: (B, Q, K + 1) class probabilities and (B, Q,
        h, w) mask logits -> (B, K, h, w) scores: each pixel's share of the
        kept queries (a softmax over them), a class scored by its best
        query's share (the max, not the sum, so that the arg-max is the
        class of the query with the largest mask logit, as in DETR)."""
        scores, labels = probs[..., :-1].max(-1)
        keep = probs.argmax(-1) != probs.shape[-1] - 1
        best = scores == scores.max(-1, keepdim=True).values
        keep |= ~keep.any(-1, keepdim=True) & best  # none kept: the best
        shares = mask_logits.masked_fill(~keep[..., None, None],
                                         float('-inf')).softmax(1)
        b, _, h, w = shares.shape
        return shares.new_zeros(b, probs.shape[-1] - 1, h, w).scatter_reduce(
            1, labels[..., None, None].expand_as(shares), shares, 'amax')

    def _segment_targets(self, sample) -> InstanceData:
        """One segment per class present (the ignore index is not one)."""
        labels, masks = class_segments(sample.gt_sem_seg.data[0], 0,
                                       self.num_classes)
        keep = labels != self.ignore_index
        return segment_targets(labels[keep], masks[keep])

    def loss(self, inputs: List[Tensor], batch_data_samples: SampleList,
             train_cfg: dict) -> Dict[str, Tensor]:
        head_inputs = self._transformer(inputs)
        metas = [
            dict(img_shape=s.metainfo['img_shape']) for s in batch_data_samples
        ]
        targets = [self._segment_targets(s) for s in batch_data_samples]
        return self.detr.loss_by_targets(
            **head_inputs, batch_gt_instances=targets, batch_img_metas=metas)
