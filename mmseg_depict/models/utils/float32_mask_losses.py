from typing import List, Tuple

import torch
from mmengine.structures import InstanceData
from torch import Tensor

from ..layers.precision import at_least_float32


class Float32MaskLossesMixin:
    """Matching and losses of a Mask2Former-style head in float32.

    For mmdet 3.3.0's ``Mask2FormerHead`` (and mmseg 1.2.2's, which inherits
    its losses). Under fp16 autocast (``--amp``) two of its steps overflow:

    * ``_loss_by_feat_single`` builds the mask normaliser with
      ``cls_scores.new_tensor([avg_factor])``, an fp16 tensor, and the
      binary cross-entropy divides by ``num_total_masks * num_points``
      (12544 points): inf from 6 ground-truth masks up, so ``loss_mask`` is
      0 (no gradient at all) or nan.
    * ``CrossEntropyLossCost`` sums BCE over the points with an ``einsum``
      that autocast runs in fp16: confident logits over a large mask make
      the cost +inf and scipy's ``linear_sum_assignment`` stops with "cost
      matrix is infeasible" (mmdetection issue #10909).

    The Mask2Former release runs its matcher with autocast off on float32
    masks and normalises by a float32 count; here both steps run that way:
    the head's fp16 / bf16 outputs are cast to float32 (differentiable, so
    the fp16 network still gets its gradients) and autocast is off inside.
    Everything else is the upstream code, called through ``super()``.
    """

    def _get_targets_single(self, cls_score: Tensor, mask_pred: Tensor,
                            gt_instances: InstanceData,
                            img_meta: dict) -> Tuple[Tensor]:
        """Upstream matching for one image, in float32 with autocast off.

        Args:
            cls_score (Tensor): (num_queries, num_classes + 1).
            mask_pred (Tensor): (num_queries, h, w) mask logits.
            gt_instances (InstanceData): ``labels`` and ``masks``.
            img_meta (dict): The image's meta.

        Returns:
            tuple[Tensor]: As the upstream method.
        """
        with torch.autocast(cls_score.device.type, enabled=False):
            return super()._get_targets_single(cls_score.float(),
                                               mask_pred.float(), gt_instances,
                                               img_meta)

    def _loss_by_feat_single(self, cls_scores: Tensor, mask_preds: Tensor,
                             batch_gt_instances: List[InstanceData],
                             batch_img_metas: List[dict]) -> Tuple[Tensor]:
        """Upstream losses of one decoder layer, in float32, autocast off.

        Args:
            cls_scores (Tensor): (B, num_queries, num_classes + 1).
            mask_preds (Tensor): (B, num_queries, h, w) mask logits.
            batch_gt_instances (list[InstanceData]): Per image ``labels``
                and ``masks``.
            batch_img_metas (list[dict]): Per image metas.

        Returns:
            tuple[Tensor]: ``loss_cls``, ``loss_mask``, ``loss_dice``
            (float32 scalars).
        """
        with torch.autocast(cls_scores.device.type, enabled=False):
            return super()._loss_by_feat_single(
                at_least_float32(cls_scores), at_least_float32(mask_preds),
                batch_gt_instances, batch_img_metas)
