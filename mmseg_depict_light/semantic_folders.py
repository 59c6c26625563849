"""mIoU of folders of label PNGs, as mmseg's ``IoUMetric`` computes it.

Light on purpose (numpy and cv2 only): the offline tool imports it without
the rest of the package. Per image one joint histogram of (label, prediction)
over the pixels that are not ignored gives every class's intersection and
both areas; images are read in worker processes, one pair at a time each.
"""
import glob
import os.path as osp
from functools import partial
from multiprocessing import get_context
from typing import Callable, Dict, List, Optional, Tuple

import cv2
import numpy as np

#: Per class: intersection, union, predicted area, label area.
AREAS = ('intersect', 'union', 'pred', 'label')


def pair_label_files(gt_dir: str,
                     pred_dir: str,
                     gt_suffix: str = '.png',
                     pred_suffix: str = '.png') -> List[Tuple[str, str]]:
    """(label, prediction) paths paired by their path below the folder,
    without the suffix. Every label needs a prediction."""
    if not osp.isdir(gt_dir):
        raise FileNotFoundError(f"label folder '{gt_dir}' not found")
    if not osp.isdir(pred_dir):
        raise FileNotFoundError(f"prediction folder '{pred_dir}' not found")
    labels = sorted(
        glob.glob(osp.join(gt_dir, '**', '*' + gt_suffix), recursive=True))
    if not labels:
        raise FileNotFoundError(f"no '*{gt_suffix}' files under '{gt_dir}'")
    pairs, missing = [], []
    for label in labels:
        stem = osp.relpath(label, gt_dir)[:-len(gt_suffix)]
        pred = osp.join(pred_dir, stem + pred_suffix)
        if not osp.isfile(pred):
            # mmseg's IoUMetric(output_dir=...) writes flat <basename>.png
            flat = osp.join(pred_dir, osp.basename(stem) + pred_suffix)
            pred = flat if osp.isfile(flat) else None
        if pred is None:
            missing.append(stem + pred_suffix)
        else:
            pairs.append((label, pred))
    if missing:
        raise FileNotFoundError(
            f"'{pred_dir}' has no prediction for {len(missing)} of "
            f'{len(labels)} label maps, e.g. {missing[:3]}')
    return pairs


def read_label_map(path: str, reduce_zero_label: bool) -> np.ndarray:
    """A single-channel label PNG as uint8 / uint16; with
    ``reduce_zero_label`` 0 becomes 255 and every other value v becomes
    v - 1, as mmseg's ``LoadAnnotations`` does."""
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if label is None:
        raise FileNotFoundError(f"label map '{path}' not found or not an "
                                'image')
    if label.ndim != 2:
        raise ValueError(f"label map '{path}' has {label.shape[2]} channels;"
                         ' expected one (class indices)')
    if reduce_zero_label:
        label = label.astype(np.int32)
        label[label == 0] = 256
        label -= 1
        label[label == 254] = 255
    return label


def image_areas(task: Tuple[str, str], num_classes: int, ignore_index: int,
                reduce_zero_label: bool) -> np.ndarray:
    """(4, K) int64 areas of one pair, in the order of :data:`AREAS`."""
    gt_path, pred_path = task
    gt = read_label_map(gt_path, reduce_zero_label)
    pred = read_label_map(pred_path, reduce_zero_label)
    if gt.shape != pred.shape:
        raise ValueError(
            f"prediction '{pred_path}' is {pred.shape[1]}x{pred.shape[0]}, "
            f"its label map '{gt_path}' {gt.shape[1]}x{gt.shape[0]}")
    keep = gt != ignore_index
    gt, pred = gt[keep].astype(np.int64), pred[keep].astype(np.int64)
    for values, path in ((gt, gt_path), (pred, pred_path)):
        bad = values >= num_classes
        if bad.any():
            raise ValueError(
                f"'{path}' holds class {int(values[bad][0])}; expected 0.."
                f'{num_classes - 1} (--num-classes {num_classes}) or the '
                f'ignore index {ignore_index}'
                f'{" after --reduce-zero-label" if reduce_zero_label else ""}')
    joint = np.bincount(
        gt * num_classes + pred,
        minlength=num_classes * num_classes).reshape(num_classes, num_classes)
    intersect = np.diag(joint)
    area_label, area_pred = joint.sum(1), joint.sum(0)
    return np.stack(
        [intersect, area_label + area_pred - intersect, area_pred, area_label])


def dataset_areas(
        pairs: List[Tuple[str, str]],
        num_classes: int,
        ignore_index: int = 255,
        reduce_zero_label: bool = False,
        nproc: int = 1,
        progress: Optional[Callable[[int], None]] = None) -> np.ndarray:
    """(4, K) int64 areas summed over ``pairs``, read in ``nproc``
    processes (``progress(done)`` after each pair)."""
    count = partial(
        image_areas,
        num_classes=num_classes,
        ignore_index=ignore_index,
        reduce_zero_label=reduce_zero_label)
    total = np.zeros((4, num_classes), np.int64)
    if nproc <= 1:
        results = map(count, pairs)
        pool = None
    else:
        pool = get_context('fork').Pool(nproc)
        results = pool.imap_unordered(count, pairs, chunksize=8)
    try:
        for done, areas in enumerate(results, 1):
            total += areas
            if progress:
                progress(done)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return total


def iou_metrics(areas: np.ndarray) -> Dict[str, np.ndarray]:
    """aAcc, per-class IoU and Acc (fractions; NaN for a class absent from
    the labels and, for IoU, the predictions), mIoU and mAcc (NaN-means), as
    ``IoUMetric.total_area_to_metrics``."""
    intersect, union, _, label = areas.astype(np.float64)
    with np.errstate(divide='ignore', invalid='ignore'):
        iou, acc = intersect / union, intersect / label
    return dict(
        aAcc=intersect.sum() / label.sum(),
        IoU=iou,
        Acc=acc,
        mIoU=np.nanmean(iou) if np.isfinite(iou).any() else np.nan,
        mAcc=np.nanmean(acc) if np.isfinite(acc).any() else np.nan)
