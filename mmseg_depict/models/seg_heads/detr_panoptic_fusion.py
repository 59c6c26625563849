from typing import Optional, Tuple

import torch
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor


@MODELS.register_module()
class DETRPanopticFusion(BaseModule):
    """DETR's panoptic post-processing, for one image.

    Queries whose best class is not no-object and whose softmax score
    exceeds ``score_thr`` are kept; each pixel goes to the kept query with
    the largest mask logit (a softmax over queries); queries of one stuff
    class form one segment; segments of ``min_area`` pixels or fewer are
    dropped and the argmax recomputed until none is. If no query passes the
    threshold, the best-scoring one covers the whole image.

    Unlike the reference, masks are cropped to the image before resizing
    (the caller's job: :meth:`DETRPanopticHead.predict` does it), so results
    do not depend on how images are batched.

    Args:
        num_things_classes (int): Thing classes (labels ``0 .. n - 1``).
        num_stuff_classes (int): Stuff classes (the labels after them).
        score_thr (float): Keep threshold. Default: 0.85.
        min_area (int): Segments this small or smaller are removed.
            Default: 4.
        use_scores (bool): Weight each query's softmax by its class score
            in the pixel argmax. Default: False (the reference).
        void_unassigned (bool): Leave pixels VOID where the winning mask's
            sigmoid is below 0.5, instead of assigning every pixel.
            Default: False (the reference).
        init_cfg (dict, optional): Unused; for the registry.
    """

    def __init__(self,
                 num_things_classes: int,
                 num_stuff_classes: int,
                 score_thr: float = 0.85,
                 min_area: int = 4,
                 use_scores: bool = False,
                 void_unassigned: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_things_classes = num_things_classes
        self.num_classes = num_things_classes + num_stuff_classes
        self.score_thr = score_thr
        self.min_area = min_area
        self.use_scores = use_scores
        self.void_unassigned = void_unassigned

    def select(self, cls_logits: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Queries to compute masks for.

        Args:
            cls_logits (Tensor): (Q, num_classes + 1), no-object last.

        Returns:
            tuple[Tensor]: indices (K, ), scores (K, ) and labels (K, ) of
            the kept queries; K >= 1.
        """
        scores, labels = cls_logits.softmax(-1)[:, :-1].max(-1)
        is_object = cls_logits.argmax(-1) != self.num_classes
        keep = is_object & (scores > self.score_thr)
        if not keep.any():
            keep = scores == scores.max()
            keep &= keep.cumsum(0) == 1  # one query, even on ties
        index = keep.nonzero()[:, 0]
        return index, scores[index], labels[index]

    def _segment_of_query(self, labels: Tensor) -> Tensor:
        """Index of the first query of the same stuff class, else itself."""
        segment = torch.arange(len(labels), device=labels.device)
        for label in labels[labels >= self.num_things_classes].unique():
            same = (labels == label).nonzero()[:, 0]
            segment[same] = same[0]
        return segment

    def _owners(self, mask_logits: Tensor, scores: Tensor,
                keep: Tensor) -> Tensor:
        """Winning query per pixel among ``keep`` (-1 = VOID)."""
        index = keep.nonzero()[:, 0]
        probs = mask_logits[index].softmax(0)
        if self.use_scores:
            probs = probs * scores[index, None, None]
        owner = index[probs.argmax(0)]
        if self.void_unassigned:
            logit = mask_logits.gather(0, owner[None])[0]
            owner = torch.where(logit >= 0, owner, owner.new_tensor(-1))
        return owner

    def forward(self, scores: Tensor, labels: Tensor,
                mask_logits: Tensor) -> Tensor:
        """
        Args:
            scores (Tensor): (K, ) class scores of the kept queries.
            labels (Tensor): (K, ) their labels.
            mask_logits (Tensor): (K, H, W) their mask logits at the output
                resolution.

        Returns:
            Tensor: (H, W) int64 panoptic map in mmdet's encoding: ``label``
            for stuff, ``label + k * INSTANCE_OFFSET`` (k >= 1) for the k-th
            thing, ``num_classes`` for VOID.
        """
        segment_of = self._segment_of_query(labels)
        keep = torch.ones_like(labels, dtype=torch.bool)
        while True:
            owner = self._owners(mask_logits, scores, keep)
            segment = torch.where(owner >= 0, segment_of[owner.clamp(min=0)],
                                  owner)
            area = torch.bincount(segment[segment >= 0], minlength=len(labels))
            small = keep & (area[segment_of] <= self.min_area)
            if not small.any() or small.sum() == keep.sum():
                break
            keep &= ~small
        panoptic = torch.full_like(owner, self.num_classes)
        instance = 0
        for query in segment.unique():
            if query < 0:
                continue
            label = int(labels[query])
            region = segment == query
            if label < self.num_things_classes:
                instance += 1
                panoptic[region] = label + instance * INSTANCE_OFFSET
            else:
                panoptic[region] = label
        return panoptic
