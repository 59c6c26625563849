"""Segment targets for DETR-style heads: every segment with its own box."""
import torch
from mmengine.structures import InstanceData
from torch import Tensor


def masks_to_boxes(masks: Tensor) -> Tensor:
    """(N, H, W) bool masks, none empty -> (N, 4) xyxy boxes in pixels
    (x2, y2 exclusive, as COCO's x + w)."""
    if len(masks) == 0:
        return masks.new_zeros((0, 4), dtype=torch.float32)
    rows, cols = masks.any(2), masks.any(1)
    h, w = masks.shape[-2:]
    ys = torch.arange(h, device=masks.device)
    xs = torch.arange(w, device=masks.device)
    y1 = torch.where(rows, ys, h).min(1).values
    y2 = torch.where(rows, ys, -1).max(1).values + 1
    x1 = torch.where(cols, xs, w).min(1).values
    x2 = torch.where(cols, xs, -1).max(1).values + 1
    return torch.stack([x1, y1, x2, y2], 1).float()


def semantic_segments(label_map: Tensor, classes: Tensor) -> Tensor:
    """(N, H, W) masks of ``label_map == c`` for each ``c`` in ``classes``."""
    return label_map[None] == classes[:, None, None]


def panoptic_targets(data_sample, num_things_classes: int,
                     num_classes: int) -> InstanceData:
    """Thing instances (``gt_instances.masks``) and one segment per stuff
    class in ``gt_sem_seg``, with boxes from their masks.

    Returns:
        InstanceData: ``labels`` (N, ), ``bboxes`` (N, 4) xyxy pixels and
        ``masks`` (N, H, W) bool, at the padded input size. Empty masks
        (e.g. cropped away) are dropped.
    """
    things = data_sample.gt_instances
    semantic = data_sample.gt_sem_seg.sem_seg[0]
    device = semantic.device
    stuff = semantic.unique()
    stuff = stuff[(stuff >= num_things_classes) & (stuff < num_classes)]
    masks = [semantic_segments(semantic, stuff)]
    labels = [stuff.long()]
    if len(things):
        masks.insert(0, things.masks.to_tensor(torch.bool, device))
        labels.insert(0, things.labels.to(device))
    masks, labels = torch.cat(masks), torch.cat(labels)
    present = masks.flatten(1).any(1)
    masks, labels = masks[present], labels[present]
    return InstanceData(labels=labels, bboxes=masks_to_boxes(masks),
                        masks=masks)
