"""Test oracle: the PQ counts of one image computed segment by segment,
straight from the COCO panoptic benchmark's definition: a boolean mask per
segment, one intersection per (ground truth, prediction) pair. Slow; the
tests hold :func:`pq_image_stats` against it."""
from typing import Mapping, Tuple

import numpy as np

from mmseg_depict_light.panoptic_quality import VOID, PQStats


def reference_pq_image_stats(gt_ids: np.ndarray,
                             gt_segments: Mapping[int, Tuple[int, bool]],
                             pred_ids: np.ndarray, pred_segments: Mapping[int,
                                                                          int],
                             num_categories: int) -> PQStats:
    """Same arguments and result as :func:`pq_image_stats`."""
    stats = PQStats(num_categories)
    void = gt_ids == VOID
    gt_masks = {g: gt_ids == g for g in gt_segments}
    pred_masks = {p: pred_ids == p for p in pred_segments}
    matched_gt, matched_pred = set(), set()
    for g, (g_cat, crowd) in gt_segments.items():
        if crowd:
            continue
        for p, p_cat in pred_segments.items():
            if p_cat != g_cat:
                continue
            inter = np.logical_and(gt_masks[g], pred_masks[p]).sum()
            if inter == 0:
                continue
            union = (
                gt_masks[g].sum() + pred_masks[p].sum() - inter -
                np.logical_and(pred_masks[p], void).sum())
            iou = inter / union
            if iou > 0.5:
                stats.tp[g_cat] += 1
                stats.iou[g_cat] += iou
                matched_gt.add(g)
                matched_pred.add(p)
    for g, (g_cat, crowd) in gt_segments.items():
        if not crowd and g not in matched_gt:
            stats.fn[g_cat] += 1
    for p, p_cat in pred_segments.items():
        if p in matched_pred:
            continue
        crowd = np.zeros_like(void)
        for g, (g_cat, is_crowd) in gt_segments.items():
            if is_crowd and g_cat == p_cat:
                crowd |= gt_masks[g]
        ignored = np.logical_and(pred_masks[p], void | crowd).sum()
        if ignored <= 0.5 * pred_masks[p].sum():
            stats.fp[p_cat] += 1
    return stats
