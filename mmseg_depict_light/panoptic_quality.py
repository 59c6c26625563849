"""Panoptic quality (PQ, SQ, RQ) without panopticapi.

PQ = sum of matched IoUs / (TP + FP/2 + FN/2) per category, as the COCO
panoptic benchmark defines it (a match: same category, IoU > 0.5, the
prediction's VOID pixels left out of the union; crowd ground truth is never
matched; an unmatched prediction lying over half on VOID or on crowd of its
own category is no false positive). Per image, one joint
histogram of (ground-truth segment, predicted segment) over the pixels gives
every intersection and area at once; matching, false positives and false
negatives are then array operations over segments, never over pixels again.
"""
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import get_context
from typing import Callable, Dict, Iterable, Mapping, Optional, Sequence, Tuple

import numpy as np

VOID = 0  # segment id of unlabelled pixels, in ground truth and predictions


@dataclass
class PQStats:
    """Per-category accumulators over a dataset.

    Args:
        num_categories (int): Categories are indices ``0 .. num - 1``.
    """
    num_categories: int
    tp: np.ndarray = field(init=False)
    fp: np.ndarray = field(init=False)
    fn: np.ndarray = field(init=False)
    iou: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.tp = np.zeros(self.num_categories, np.int64)
        self.fp = np.zeros(self.num_categories, np.int64)
        self.fn = np.zeros(self.num_categories, np.int64)
        self.iou = np.zeros(self.num_categories, np.float64)

    def __iadd__(self, other: 'PQStats') -> 'PQStats':
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.iou += other.iou
        return self

    def summary(self, isthing: Sequence[bool]) -> Dict[str, dict]:
        """PQ / SQ / RQ for all, things and stuff, and per category.

        Categories without any TP, FP or FN are left out of the means.

        Args:
            isthing (Sequence[bool]): Per category, thing (True) or stuff.

        Returns:
            dict: ``{'All': {...}, 'Things': {...}, 'Stuff': {...},
            'per_class': {index: {'pq', 'sq', 'rq', 'tp', 'fp', 'fn'}}}``;
            group entries hold ``pq``, ``sq``, ``rq`` (fractions) and ``n``.
        """
        denominator = self.tp + 0.5 * self.fp + 0.5 * self.fn
        present = denominator > 0
        with np.errstate(divide='ignore', invalid='ignore'):
            pq = np.where(present, self.iou / denominator, 0.0)
            sq = np.where(self.tp > 0, self.iou / np.maximum(self.tp, 1), 0.0)
            rq = np.where(present, self.tp / denominator, 0.0)
        isthing = np.asarray(isthing, bool)
        groups = {
            'All': present,
            'Things': present & isthing,
            'Stuff': present & ~isthing
        }
        result = {
            name:
            dict(
                pq=float(pq[mask].mean()) if mask.any() else 0.0,
                sq=float(sq[mask].mean()) if mask.any() else 0.0,
                rq=float(rq[mask].mean()) if mask.any() else 0.0,
                n=int(mask.sum()))
            for name, mask in groups.items()
        }
        result['per_class'] = {
            int(c):
            dict(
                pq=float(pq[c]),
                sq=float(sq[c]),
                rq=float(rq[c]),
                tp=int(self.tp[c]),
                fp=int(self.fp[c]),
                fn=int(self.fn[c]))
            for c in np.flatnonzero(present)
        }
        return result


# Ids below this (every COCO-panoptic PNG id: 24 bits) are indexed through
# one lookup table per process, kept between images; larger or negative ids
# fall back to a binary search.
_LOOKUP_BITS = 24
_UNKNOWN = np.iinfo(np.uint16).max
_lookup = None


def _lookup_table() -> np.ndarray:
    """The process's id -> segment index table (32 MB, made once): every
    entry unknown except VOID -> 0."""
    global _lookup
    if _lookup is None:
        _lookup = np.full(1 << _LOOKUP_BITS, _UNKNOWN, np.uint16)
        _lookup[VOID] = 0
    return _lookup


def _fits_lookup(flat: np.ndarray, keys: np.ndarray) -> bool:
    """Whether every id and key can index the lookup table."""
    if len(keys) >= _UNKNOWN or flat.dtype.kind not in 'ui':
        return False
    if keys.size and (keys.min() <= VOID or keys.max() >> _LOOKUP_BITS):
        return False
    if flat.dtype.kind == 'u' and flat.dtype.itemsize <= 2:
        return True
    return flat.min(initial=0) >= 0 and not \
        int(flat.max(initial=0)) >> _LOOKUP_BITS


def _segment_index(ids: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Pixel ids -> 0 for VOID, i + 1 for ``keys[i]`` (keys sorted) and
    ``len(keys) + 1`` for ids that no segment declares."""
    flat = ids.ravel()
    unknown = len(keys) + 1
    if _fits_lookup(flat, keys):
        table = _lookup_table()
        table[keys] = np.arange(1, len(keys) + 1)
        try:
            index = np.take(table, flat)  # twice as fast as table[flat]
        finally:
            table[keys] = _UNKNOWN
        return np.minimum(index, unknown, out=index)
    index = np.searchsorted(keys, flat)
    index[index == len(keys)] = 0
    hit = keys[index] == flat if len(keys) else np.zeros(flat.shape, bool)
    return np.where(hit, index + 1, np.where(flat == VOID, 0, unknown))


def _undeclared_ids(ids: np.ndarray, keys: np.ndarray, what: str) -> str:
    found = np.setdiff1d(np.unique(ids), np.append(keys, VOID))
    return (f'{what} segment ids {found[:10]} appear in the id map but not in '
            'its segments_info')


def pq_image_stats(gt_ids: np.ndarray, gt_segments: Mapping[int, Tuple[int,
                                                                       bool]],
                   pred_ids: np.ndarray, pred_segments: Mapping[int, int],
                   num_categories: int) -> PQStats:
    """PQ counts of one image.

    Args:
        gt_ids (np.ndarray): (H, W) ground-truth segment ids, 0 = VOID.
        gt_segments (Mapping[int, tuple[int, bool]]): id -> (category index,
            iscrowd).
        pred_ids (np.ndarray): (H, W) predicted segment ids, 0 = VOID.
        pred_segments (Mapping[int, int]): id -> category index.
        num_categories (int): Number of categories.

    Returns:
        PQStats: This image's TP / FP / FN counts and IoU sums.
    """
    if gt_ids.shape != pred_ids.shape:
        raise ValueError(f'ground truth {gt_ids.shape} and prediction '
                         f'{pred_ids.shape} differ in shape')
    gt_keys = np.array(sorted(gt_segments), np.int64)
    pred_keys = np.array(sorted(pred_segments), np.int64)
    n_gt, n_pred = len(gt_keys), len(pred_keys)
    # Index n + 1 collects ids without a segments_info entry.
    rows, cols = n_gt + 2, n_pred + 2
    pairs = _segment_index(gt_ids, gt_keys).astype(np.intp) * cols
    pairs += _segment_index(pred_ids, pred_keys)
    joint = np.bincount(pairs, minlength=rows * cols).reshape(rows, cols)
    if joint[-1].any():
        raise ValueError(_undeclared_ids(gt_ids, gt_keys, 'ground-truth'))
    if joint[:, -1].any():
        raise ValueError(_undeclared_ids(pred_ids, pred_keys, 'predicted'))
    joint = joint[:-1, :-1]

    gt_cat = np.array([gt_segments[k][0] for k in gt_keys], np.int64)
    gt_crowd = np.array([bool(gt_segments[k][1]) for k in gt_keys], bool)
    pred_cat = np.array([pred_segments[k] for k in pred_keys], np.int64)
    inter = joint[1:, 1:]
    gt_area, pred_area = joint[1:].sum(1), joint[:, 1:].sum(0)
    pred_void = joint[0, 1:]

    same = gt_cat[:, None] == pred_cat[None, :]
    union = gt_area[:, None] + pred_area[None, :] - inter - pred_void[None, :]
    with np.errstate(divide='ignore', invalid='ignore'):
        iou = np.where(same & ~gt_crowd[:, None] & (inter > 0),
                       inter / np.maximum(union, 1), 0.0)
    g_match, p_match = np.nonzero(iou > 0.5)

    stats = PQStats(num_categories)
    stats.tp = np.bincount(gt_cat[g_match], minlength=num_categories)
    stats.iou = np.bincount(
        gt_cat[g_match],
        weights=iou[g_match, p_match],
        minlength=num_categories)
    gt_unmatched = np.ones(n_gt, bool)
    gt_unmatched[g_match] = False
    stats.fn = np.bincount(
        gt_cat[gt_unmatched & ~gt_crowd], minlength=num_categories)
    # An unmatched prediction mostly on VOID or on crowd of its own category
    # is not a false positive.
    crowd_inter = (inter * (same & gt_crowd[:, None])).sum(0)
    pred_unmatched = np.ones(n_pred, bool)
    pred_unmatched[p_match] = False
    ignored = (pred_void + crowd_inter) > 0.5 * pred_area
    stats.fp = np.bincount(
        pred_cat[pred_unmatched & ~ignored], minlength=num_categories)
    return stats


# The loader of the running pq_dataset_stats call. Forked workers inherit it,
# so only the items travel to them, never the loader's data.
_worker_load = None


def _count_in_worker(num_categories: int, item) -> PQStats:
    return pq_image_stats(*_worker_load(item), num_categories)


def pq_dataset_stats(
        items: Iterable,
        load: Callable,
        num_categories: int,
        nproc: int = 1,
        chunksize: int = 8,
        progress: Optional[Callable[[int], None]] = None) -> PQStats:
    """Sum the PQ counts of every image.

    Args:
        items (Iterable): One entry per image (e.g. file names).
        load (Callable): ``load(item) -> (gt_ids, gt_segments, pred_ids,
            pred_segments)`` as :func:`pq_image_stats` takes them; with
            ``nproc > 1`` it runs in forked worker processes, so images are
            read there and never all held at once.
        num_categories (int): Number of categories.
        nproc (int): Worker processes; 1 counts in this process.
        chunksize (int): Images handed to a worker at a time.
        progress (Callable, optional): Called with the number of images
            counted so far, after each one.

    Returns:
        PQStats: Dataset totals.
    """
    global _worker_load
    total = PQStats(num_categories)
    if nproc <= 1:
        for done, item in enumerate(items, 1):
            total += pq_image_stats(*load(item), num_categories)
            if progress:
                progress(done)
        return total
    _worker_load = load
    try:
        with get_context('fork').Pool(nproc) as pool:
            for done, stats in enumerate(
                    pool.imap_unordered(
                        partial(_count_in_worker, num_categories), items,
                        chunksize), 1):
                total += stats
                if progress:
                    progress(done)
    finally:
        _worker_load = None
    return total
