"""Paired bootstrap over images for the mIoU difference of two models.

Both models' per-image areas are resampled with the same image draws; each
resample sums the drawn images' intersections and unions per class and
recomputes mIoU from those sums (as mmseg's ``IoUMetric`` computes it over a
split: a class with no union is left out of the mean), never a mean of
per-image IoUs. The interval is the percentile one of the resampled
differences.
"""
from typing import Dict

import numpy as np


def miou_from_areas(intersect: np.ndarray, union: np.ndarray) -> np.ndarray:
    """NaN-mean over classes of ``intersect / union`` along the last axis.

    Args:
        intersect, union (np.ndarray): (..., K) summed areas.

    Returns:
        np.ndarray: (...) mIoU as a fraction (NaN where no class has area).
    """
    intersect = np.asarray(intersect, np.float64)
    union = np.asarray(union, np.float64)
    with np.errstate(divide='ignore', invalid='ignore'):
        iou = np.where(union > 0, intersect / union, np.nan)
    has_class = np.isfinite(iou).any(-1)
    total = np.where(np.isfinite(iou), iou, 0).sum(-1)
    count = np.isfinite(iou).sum(-1)
    return np.where(has_class, total / np.maximum(count, 1), np.nan)


def resample_counts(num_images: int, num_resamples: int,
                    seed: int) -> np.ndarray:
    """(R, N) int64: how often each image is drawn in each resample (N
    draws with replacement), from ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, num_images, size=(num_resamples, num_images))
    counts = np.zeros((num_resamples, num_images), np.int64)
    np.add.at(counts, (np.arange(num_resamples)[:, None], draws), 1)
    return counts


def paired_bootstrap(areas_a: np.ndarray,
                     areas_b: np.ndarray,
                     num_resamples: int = 1000,
                     seed: int = 0,
                     level: float = 0.95) -> Dict[str, float]:
    """The mIoU difference ``a - b`` and its bootstrap interval.

    Args:
        areas_a, areas_b (np.ndarray): (N, 2, K) per-image intersection
            and union of the two models on the same N images, same order.
        num_resamples (int): Bootstrap resamples.
        seed (int): Seed of the image draws (the same for every pair of
            models, so that intervals are reproducible).
        level (float): Interval coverage.

    Returns:
        dict: ``diff`` (on all images), ``low``, ``high`` (percentile
        interval), ``excludes_zero``, ``num_resamples``, ``seed`` — mIoU
        in points (x100).
    """
    areas_a = np.asarray(areas_a)
    areas_b = np.asarray(areas_b)
    if areas_a.shape != areas_b.shape or areas_a.ndim != 3 or \
            areas_a.shape[1] != 2:
        raise ValueError('expected two (images, 2, classes) area arrays of '
                         f'one shape, got {areas_a.shape} and '
                         f'{areas_b.shape}')
    if not 0 < level < 1:
        raise ValueError(f'level must be in (0, 1), got {level}')
    if num_resamples < 1:
        raise ValueError(f'num_resamples must be >= 1, got {num_resamples}')
    counts = resample_counts(len(areas_a), num_resamples, seed)

    def miou(areas, weights):
        sums = np.tensordot(weights, areas.astype(np.float64), axes=(-1, 0))
        return 100 * miou_from_areas(sums[..., 0, :], sums[..., 1, :])

    ones = np.ones(len(areas_a))
    diff = float(miou(areas_a, ones) - miou(areas_b, ones))
    resampled = miou(areas_a, counts) - miou(areas_b, counts)
    tail = (1 - level) / 2 * 100
    low, high = np.nanpercentile(resampled, [tail, 100 - tail])
    return dict(
        diff=diff,
        low=float(low),
        high=float(high),
        excludes_zero=bool(low > 0 or high < 0),
        num_resamples=num_resamples,
        seed=seed)
