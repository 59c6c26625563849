from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.dense_heads import DETRHead
from mmdet.models.losses import DiceLoss, FocalLoss
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy
from mmdet.utils import reduce_mean
from mmengine.structures import InstanceData, PixelData
from torch import Tensor
from torch.utils.checkpoint import checkpoint

from ..layers.precision import at_least_float32
from ..losses.upsampled_cross_entropy import upsampled_cross_entropy
from ..losses.upsampled_mask_losses import upsampled_focal_dice_loss
from ..utils.detr_mask_features import DETRMaskFeatures
from ..utils.panoptic_targets import panoptic_targets

#: Label of the pixels of no segment in :meth:`loss_mask_softmax`.
IGNORE_INDEX = 255

#: The queries :meth:`DETRPanopticHead.loss_mask_softmax` compares.
MASK_SOFTMAX_QUERIES = ('matched', 'all')


@MODELS.register_module()
class DETRPanopticHead(DETRHead):
    """DETR's box head plus its panoptic mask branch.

    Class and box predictions, Hungarian matching (class + L1 + GIoU costs)
    and their losses on every decoder layer are mmdet's ``DETRHead``. Added:
    an attention map of the last layer's queries over the encoder memory
    (:class:`MHAttentionMap`), an FPN mask head (:class:`FPNMaskHead`) on
    the projected stride-32 feature and res4..res2, focal + dice losses on
    the masks of matched queries, and panoptic fusion
    (:class:`DETRPanopticFusion`) at inference.

    Targets are all segments: thing instances and one segment per stuff
    class, each boxed by its own mask. With ``lean=True`` the mask head runs
    only for the queries that need a mask (matched ones in training, kept
    ones at inference); ``lean=False`` runs it for every query first (the
    reference's way) and gives the same results with more time and memory.

    Args:
        num_things_classes (int): Thing classes (labels first).
        num_stuff_classes (int): Stuff classes.
        attention_map (dict): :class:`MHAttentionMap` config.
        mask_head (dict): :class:`FPNMaskHead` config.
        fusion (dict): :class:`DETRPanopticFusion` config (class counts
            are filled in).
        loss_focal (dict): Mask focal loss.
        loss_dice (dict): Mask dice loss.
        mask_stride (int): Stride of the mask logits (res2). Default: 4.
        with_mask (bool): Build the mask branch. False gives the box-only
            model of the two-stage recipe (it predicts boxes).
        lean (bool): Run the mask head only where masks are needed.
        mask_softmax_weight (float): Weight of a per-pixel cross-entropy
            over each image's matched queries (a softmax over their mask
            logits, the target the query whose segment holds the pixel;
            pixels of no segment ignored). DETR's panoptic inference gives
            a pixel to the query of the largest mask logit; its focal and
            dice losses score each mask alone, and say nothing about which
            of two queries should win a pixel. Default: 0 (off, as DETR).
        mask_softmax_queries (str): The queries that softmax runs over:
            ``'matched'`` (each image's matched queries) or ``'all'``
            (every query of the image, the unmatched ones as candidates
            that should win no pixel; the mask head then runs for every
            query). A query matched in no crop of a class never learns to
            stay low there under ``'matched'``. Default: ``'matched'``.
        **kwargs: ``DETRHead`` arguments (``embed_dims``, ``loss_cls`` with
            ``bg_cls_weight``, ``loss_bbox``, ``loss_iou``, ``train_cfg``,
            ``test_cfg``, ...).
    """

    def __init__(self,
                 num_things_classes: int,
                 num_stuff_classes: int,
                 attention_map: dict = dict(type='MHAttentionMap'),
                 mask_head: dict = dict(type='FPNMaskHead'),
                 fusion: dict = dict(type='DETRPanopticFusion'),
                 loss_focal: dict = dict(
                     type='FocalLoss',
                     use_sigmoid=True,
                     gamma=2.0,
                     alpha=0.25,
                     loss_weight=1.0),
                 loss_dice: dict = dict(
                     type='DiceLoss',
                     use_sigmoid=True,
                     activate=True,
                     naive_dice=True,
                     eps=1.0,
                     loss_weight=1.0),
                 mask_stride: int = 4,
                 with_mask: bool = True,
                 lean: bool = True,
                 mask_softmax_weight: float = 0.0,
                 mask_softmax_queries: str = 'matched',
                 loss_cls: dict = dict(
                     type='CrossEntropyLoss',
                     bg_cls_weight=0.1,
                     use_sigmoid=False,
                     loss_weight=1.0,
                     class_weight=1.0),
                 **kwargs) -> None:
        if mask_softmax_queries not in MASK_SOFTMAX_QUERIES:
            raise ValueError(
                f'mask_softmax_queries={mask_softmax_queries!r}: expected '
                f'one of {MASK_SOFTMAX_QUERIES}')
        num_classes = num_things_classes + num_stuff_classes
        # DETRHead turns (class_weight, bg_cls_weight) into per-class
        # weights only for its own class, not for subclasses.
        loss_cls = dict(loss_cls)
        weight = loss_cls.get('class_weight', 1.0)
        bg_weight = loss_cls.pop('bg_cls_weight', weight)
        loss_cls['class_weight'] = [weight] * num_classes + [bg_weight]
        super().__init__(num_classes=num_classes, loss_cls=loss_cls, **kwargs)
        self.bg_cls_weight = bg_weight
        self.num_things_classes = num_things_classes
        self.num_stuff_classes = num_stuff_classes
        self.mask_stride = mask_stride
        self.with_mask = with_mask
        self.lean = lean
        self.mask_softmax_weight = mask_softmax_weight
        self.mask_softmax_queries = mask_softmax_queries
        if with_mask:
            self.attention_map = MODELS.build(attention_map)
            self.mask_head = MODELS.build(mask_head)
            self.loss_focal = MODELS.build(loss_focal)
            self.loss_dice = MODELS.build(loss_dice)
        self.fusion = MODELS.build(
            dict(
                fusion,
                num_things_classes=num_things_classes,
                num_stuff_classes=num_stuff_classes))

    # ------------------------------------------------------------- masks
    def mask_logits(self, hidden: Tensor, features: DETRMaskFeatures,
                    image_index: Tensor, query_index: Tensor) -> Tensor:
        """Mask logits of the chosen (image, query) pairs.

        Args:
            hidden (Tensor): (B, Q, C) last decoder layer.
            features (DETRMaskFeatures): Memory, padding, stride-32 feature
                and backbone maps of the batch.
            image_index, query_index (Tensor): (N, ) the pairs.

        Returns:
            Tensor: (N, H/4, W/4) logits at the stride of res2.
        """
        memory, memory_mask = features.memory, features.memory_mask
        feature, fpn_feats = features.feature, features.fpn_feats
        if not self.lean:
            # Reference behaviour: every query of every image, then pick.
            b, q = hidden.shape[:2]
            all_images = torch.arange(b, device=hidden.device)
            attention = self.attention_map(hidden, memory, memory_mask)
            masks = self.mask_head(feature, attention.flatten(0, 1), fpn_feats,
                                   all_images.repeat_interleave(q),
                                   hidden.flatten(0, 1))
            return masks.view(b, q, *masks.shape[-2:])[image_index,
                                                       query_index]
        queries = hidden[image_index, query_index]
        attention = self.attention_map(queries, memory, memory_mask,
                                       image_index)
        return self.mask_head(feature, attention, fpn_feats, image_index,
                              queries)

    def every_query_mask_logits(self, hidden: Tensor,
                                features: DETRMaskFeatures) -> Tensor:
        """(B, Q, C) last decoder layer -> (B, Q, H/4, W/4) mask logits of
        every query of every image."""
        b, q = hidden.shape[:2]
        images = torch.arange(b, device=hidden.device)
        queries = torch.arange(q, device=hidden.device)
        masks = self.mask_logits(hidden, features, images.repeat_interleave(q),
                                 queries.repeat(b))
        return masks.view(b, q, *masks.shape[-2:])

    def _matched_queries(self, cls_scores: Tensor, bbox_preds: Tensor,
                         batch_gt_instances: List[InstanceData],
                         batch_img_metas: List[dict]):
        """Hungarian matching of the last layer (class and box costs only),
        as the box losses match it."""
        image_index, query_index, gt_masks = [], [], []
        for b, (gt,
                meta) in enumerate(zip(batch_gt_instances, batch_img_metas)):
            img_h, img_w = meta['img_shape']
            factor = bbox_preds.new_tensor([img_w, img_h, img_w, img_h])
            pred = InstanceData(
                scores=cls_scores[b],
                bboxes=bbox_cxcywh_to_xyxy(bbox_preds[b]) * factor)
            assigned = self.assigner.assign(pred, gt, img_meta=meta).gt_inds
            queries = (assigned > 0).nonzero()[:, 0]
            image_index.append(torch.full_like(queries, b))
            query_index.append(queries)
            gt_masks.append(gt.masks[assigned[queries] - 1])
        return (torch.cat(image_index), torch.cat(query_index),
                torch.cat(gt_masks))

    def loss_masks(self, pred_masks: Tensor, gt_masks: Tensor) -> dict:
        """Focal and dice losses, normalised by the number of target
        segments over the batch and the processes.

        Both run in float32 with autocast off: they sum over every pixel of
        the padded input (350k at 512x683), beyond fp16's 65504, so under
        ``--amp`` fp16 the focal loss would be 0 and the dice loss 1, with
        no gradient.

        Args:
            pred_masks (Tensor): (N, h, w) logits.
            gt_masks (Tensor): (N, H, W) bool targets (padded input size).
        """
        pred_masks = at_least_float32(pred_masks)
        num_segments = reduce_mean(
            pred_masks.new_tensor(float(len(gt_masks)))).clamp(min=1)
        if len(gt_masks) == 0:
            zero = pred_masks.sum() * 0
            return dict(loss_mask_focal=zero, loss_mask_dice=zero)
        with torch.autocast(pred_masks.device.type, enabled=False):
            if self._fused_mask_losses():
                focal, dice = upsampled_focal_dice_loss(
                    pred_masks,
                    gt_masks,
                    num_segments,
                    alpha=self.loss_focal.alpha,
                    gamma=self.loss_focal.gamma,
                    dice_eps=self.loss_dice.eps,
                    focal_weight=self.loss_focal.loss_weight,
                    dice_weight=self.loss_dice.loss_weight)
            else:
                # The full-resolution intermediates (upsampled logits,
                # focal terms) are recomputed in the backward pass instead
                # of being kept: they would outweigh the lean mask head's
                # own activations.
                focal, dice = checkpoint(
                    self._full_resolution_losses,
                    pred_masks,
                    gt_masks,
                    num_segments,
                    use_reentrant=False)
        return dict(loss_mask_focal=focal, loss_mask_dice=dice)

    def loss_mask_softmax(self,
                          pred_masks: Tensor,
                          gt_masks: Tensor,
                          image_index: Tensor,
                          query_index: Optional[Tensor] = None) -> Tensor:
        """``mask_softmax_weight`` x the mean over images of the per-pixel
        cross-entropy of the softmax over the image's queries, at the
        targets' size (logits resized bilinearly, as for the other mask
        losses), averaged over the pixels of some segment.

        Args:
            pred_masks (Tensor): (N, h, w) logits of the matched queries,
                or (B, Q, h, w) those of every query when ``query_index``
                is given.
            gt_masks (Tensor): (N, H, W) bool targets (disjoint within an
                image).
            image_index (Tensor): (N, ) image of each target.
            query_index (Tensor, optional): (N, ) query of each target in
                ``pred_masks`` (B, Q, h, w). None: the softmax is over the
                matched queries alone.
        """
        pred_masks = at_least_float32(pred_masks)
        losses = []
        with torch.autocast(pred_masks.device.type, enabled=False):
            for image in image_index.unique():
                mine = image_index == image
                if query_index is None:
                    logits = pred_masks[mine]
                    targets = torch.arange(int(mine.sum()))
                else:
                    logits = pred_masks[image]
                    targets = query_index[mine]
                labels = gt_masks.new_full(
                    gt_masks.shape[-2:], IGNORE_INDEX, dtype=torch.long)
                for query, target in zip(targets.tolist(), gt_masks[mine]):
                    labels.masked_fill_(target, query)
                loss, _ = upsampled_cross_entropy(
                    logits[None],
                    labels[None],
                    ignore_index=IGNORE_INDEX,
                    avg_non_ignore=True)
                losses.append(loss)
        if not losses:
            return pred_masks.sum() * 0
        return self.mask_softmax_weight * torch.stack(losses).mean()

    def _fused_mask_losses(self) -> bool:
        """Whether the mask losses are DETR's (mmdet's sigmoid
        ``FocalLoss`` and naive ``DiceLoss``, mean-reduced), which
        :func:`upsampled_focal_dice_loss` computes in one pass with the
        same values and gradients; other losses take the generic path."""
        focal, dice = self.loss_focal, self.loss_dice
        return (type(focal) is FocalLoss and focal.use_sigmoid
                and not focal.activated and focal.reduction == 'mean'
                and type(dice) is DiceLoss and dice.use_sigmoid
                and dice.activate and dice.naive_dice
                and dice.reduction == 'mean')

    def _full_resolution_losses(self, pred_masks: Tensor, gt_masks: Tensor,
                                num_segments: Tensor) -> Tuple[Tensor, Tensor]:
        pred = F.interpolate(
            pred_masks[:, None],
            size=gt_masks.shape[-2:],
            mode='bilinear',
            align_corners=False).flatten(1)
        target = gt_masks.flatten(1).float()
        # Focal: mean over pixels, sum over masks; mmdet's FocalLoss takes
        # class indices, 0 = the (only) foreground class, 1 = background.
        focal = self.loss_focal(
            pred.reshape(-1, 1), (1 - target).reshape(-1).long(),
            avg_factor=num_segments * pred.shape[1])
        dice = self.loss_dice(pred, target, avg_factor=num_segments)
        return focal, dice

    # ------------------------------------------------------- train / test
    def loss(self, hidden_states: Tensor, mask_features: DETRMaskFeatures,
             batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """
        Args:
            hidden_states (Tensor): (L, B, Q, C) every decoder layer.
            mask_features (DETRMaskFeatures): What the mask branch reads.
            batch_data_samples (list[DetDataSample]): With gt_instances
                (things) and gt_sem_seg (stuff labels).
        """
        batch_gt_instances = [
            panoptic_targets(s, self.num_things_classes, self.num_classes)
            for s in batch_data_samples
        ]
        return self.loss_by_targets(hidden_states, mask_features,
                                    batch_gt_instances,
                                    [s.metainfo for s in batch_data_samples])

    def loss_by_targets(self, hidden_states: Tensor,
                        mask_features: DETRMaskFeatures,
                        batch_gt_instances: List[InstanceData],
                        batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """:meth:`loss` from segment targets (``labels``, ``bboxes`` xyxy
        pixels, ``masks`` (N, H, W) bool at the padded input size) and each
        image's meta (``img_shape`` normalises the boxes)."""
        cls_scores, bbox_preds = self(hidden_states)
        losses = self.loss_by_feat(cls_scores, bbox_preds, batch_gt_instances,
                                   batch_img_metas)
        if self.with_mask:
            image_index, query_index, gt_masks = self._matched_queries(
                cls_scores[-1], bbox_preds[-1], batch_gt_instances,
                batch_img_metas)
            softmax_over_all = (
                self.mask_softmax_weight
                and self.mask_softmax_queries == 'all')
            if softmax_over_all:
                all_masks = self.every_query_mask_logits(
                    hidden_states[-1], mask_features)
                pred_masks = all_masks[image_index, query_index]
            else:
                pred_masks = self.mask_logits(hidden_states[-1], mask_features,
                                              image_index, query_index)
            losses.update(self.loss_masks(pred_masks, gt_masks))
            if softmax_over_all:
                losses['loss_mask_softmax'] = self.loss_mask_softmax(
                    all_masks, gt_masks, image_index, query_index)
            elif self.mask_softmax_weight:
                losses['loss_mask_softmax'] = self.loss_mask_softmax(
                    pred_masks, gt_masks, image_index)
        return losses

    def predict(self,
                hidden_states: Tensor,
                mask_features: DETRMaskFeatures,
                batch_data_samples: SampleList,
                rescale: bool = True):
        """Panoptic maps (``pred_panoptic_seg``) with the mask branch, else
        box detections (``pred_instances``), one per image."""
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        if not self.with_mask:
            return super().predict(hidden_states, batch_data_samples, rescale)
        cls_scores, _ = self(hidden_states[-1:])
        results = []
        for b, meta in enumerate(batch_img_metas):
            index, scores, labels = self.fusion.select(cls_scores[-1, b])
            if self.lean:
                logits = self.mask_logits(hidden_states[-1], mask_features,
                                          torch.full_like(index, b), index)
            else:
                logits = self.mask_logits(hidden_states[-1][b:b + 1],
                                          mask_features.images(b, b + 1),
                                          torch.zeros_like(index), index)
            logits = self._to_image(logits, meta, rescale)
            panoptic = self.fusion(scores, labels, logits)
            results.append(PixelData(sem_seg=panoptic[None]))
        return results

    def _to_image(self, logits: Tensor, meta: dict, rescale: bool) -> Tensor:
        """Stride-4 logits of the padded batch -> the image.

        The padding is cropped at stride 4 first (the cells that cover the
        image), then upsampled and cropped to the input size, then resized
        to the original size: an image gets the same masks whatever it is
        batched with (the reference resizes the padded masks).
        """
        img_h, img_w = meta['img_shape']
        stride = self.mask_stride
        cells_h, cells_w = -(-img_h // stride), -(-img_w // stride)
        logits = F.interpolate(
            logits[:, None, :cells_h, :cells_w],
            size=(cells_h * stride, cells_w * stride),
            mode='bilinear',
            align_corners=False)[..., :img_h, :img_w]
        if rescale:
            logits = F.interpolate(
                logits,
                size=meta['ori_shape'],
                mode='bilinear',
                align_corners=False)
        return logits[:, 0]
