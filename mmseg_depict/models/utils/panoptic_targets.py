"""Segment targets for DETR-style heads: every segment with its own box."""
from typing import Tuple

import torch
from mmdet.structures.mask import mask2bbox
from mmengine.structures import InstanceData
from torch import Tensor


def class_segments(label_map: Tensor, low: int,
                   high: int) -> Tuple[Tensor, Tensor]:
    """One segment per label of ``label_map`` in ``[low, high)``.

    Returns:
        tuple[Tensor]: labels (N, ) and masks (N, H, W) bool.
    """
    labels = label_map.unique()
    labels = labels[(labels >= low) & (labels < high)]
    return labels.long(), label_map[None] == labels[:, None, None]


def segment_targets(labels: Tensor, masks: Tensor) -> InstanceData:
    """``labels``, ``masks`` and each mask's box (xyxy pixels, x2 / y2
    exclusive) from mmdet's ``mask2bbox``; empty masks are dropped."""
    present = masks.flatten(1).any(1)
    labels, masks = labels[present], masks[present]
    return InstanceData(
        labels=labels, bboxes=mask2bbox(masks).to(masks.device), masks=masks)


def panoptic_targets(data_sample, num_things_classes: int,
                     num_classes: int) -> InstanceData:
    """Thing instances (``gt_instances.masks``) and one segment per stuff
    class in ``gt_sem_seg``, with boxes from their masks.

    Returns:
        InstanceData: ``labels`` (N, ), ``bboxes`` (N, 4) xyxy pixels and
        ``masks`` (N, H, W) bool, at the padded input size. Empty masks
        (e.g. cropped away) are dropped.
    """
    stuff_labels, stuff_masks = class_segments(
        data_sample.gt_sem_seg.sem_seg[0], num_things_classes, num_classes)
    things = data_sample.gt_instances
    if len(things):
        device = stuff_masks.device
        labels = torch.cat([things.labels.to(device), stuff_labels])
        masks = torch.cat(
            [things.masks.to_tensor(torch.bool, device), stuff_masks])
    else:
        labels, masks = stuff_labels, stuff_masks
    return segment_targets(labels, masks)
