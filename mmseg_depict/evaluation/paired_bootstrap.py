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


def _with_seed_axis(areas) -> np.ndarray:
    """(N, 2, K) or (S, N, 2, K) -> (S, N, 2, K)."""
    areas = np.asarray(areas)
    if areas.ndim == 3:
        areas = areas[None]
    if areas.ndim != 4 or areas.shape[2] != 2:
        raise ValueError('expected (images, 2, classes) or (seeds, images, '
                         f'2, classes) areas, got shape {areas.shape}')
    return areas


def paired_bootstrap(areas_a: np.ndarray,
                     areas_b: np.ndarray,
                     num_resamples: int = 1000,
                     seed: int = 0,
                     level: float = 0.95) -> Dict[str, float]:
    """The mIoU difference ``a - b`` and its bootstrap interval.

    Args:
        areas_a, areas_b (np.ndarray): (N, 2, K) per-image intersection
            and union of the two models on the same N images, same order;
            or (S, N, 2, K) for S trainings (seeds) of a model, whose mIoU
            is then the mean of its S mIoUs on the same draws (the numbers
            of seeds of a and b may differ).
        num_resamples (int): Bootstrap resamples.
        seed (int): Seed of the image draws (the same for every pair of
            models, so that intervals are reproducible).
        level (float): Interval coverage.

    Returns:
        dict: ``diff`` (on all images), ``low``, ``high`` (percentile
        interval), ``excludes_zero``, ``num_resamples``, ``seed`` — mIoU
        in points (x100).
    """
    areas_a, areas_b = _with_seed_axis(areas_a), _with_seed_axis(areas_b)
    if areas_a.shape[1:] != areas_b.shape[1:]:
        raise ValueError('expected the (images, 2, classes) areas of both '
                         f'models on the same images, got {areas_a.shape} '
                         f'and {areas_b.shape}')
    if not 0 < level < 1:
        raise ValueError(f'level must be in (0, 1), got {level}')
    if num_resamples < 1:
        raise ValueError(f'num_resamples must be >= 1, got {num_resamples}')
    num_images = areas_a.shape[1]
    counts = resample_counts(num_images, num_resamples, seed)

    def miou(areas, weights):
        # (R, N) x (S, N, 2, K) -> (R, S, 2, K) -> mean over seeds: (R, )
        sums = np.einsum('rn,snik->rsik', weights, areas.astype(np.float64))
        return 100 * miou_from_areas(sums[..., 0, :], sums[..., 1, :]).mean(-1)

    ones = np.ones((1, num_images))
    diff = float((miou(areas_a, ones) - miou(areas_b, ones))[0])
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
