"""Paired bootstrap of the mIoU difference: a slow loop, known answers,
and mmseg's own mIoU of summed areas."""
import numpy as np
import pytest
import torch
from mmseg.evaluation import IoUMetric

from mmseg_depict.evaluation.paired_bootstrap import (miou_from_areas,
                                                      paired_bootstrap)


def random_areas(num_images, num_classes, seed):
    """(N, 2, K) per-image intersections and unions, some classes absent
    from some images."""
    rng = np.random.default_rng(seed)
    union = rng.integers(0, 50, (num_images, num_classes))
    union[rng.random(union.shape) < 0.3] = 0
    intersect = (union * rng.random(union.shape)).astype(np.int64)
    return np.stack([intersect, union], 1)


def slow_bootstrap(a, b, num_resamples, seed, level):
    """One resample at a time, image by image and class by class; a and b
    are lists of seeds' (N, 2, K) areas, a model's mIoU their mean."""
    n, _, k = a[0].shape
    draws = np.random.default_rng(seed).integers(0, n, size=(num_resamples, n))

    def miou(areas, images):
        ious = []
        for c in range(k):
            inter = sum(float(areas[i, 0, c]) for i in images)
            union = sum(float(areas[i, 1, c]) for i in images)
            if union > 0:
                ious.append(inter / union)
        return 100 * sum(ious) / len(ious)

    def mean_miou(seeds, images):
        return sum(miou(areas, images) for areas in seeds) / len(seeds)

    diffs = [mean_miou(a, row) - mean_miou(b, row) for row in draws]
    tail = (1 - level) / 2 * 100
    return np.percentile(diffs, [tail, 100 - tail])


def test_equals_a_slow_loop_over_the_same_draws():
    a, b = random_areas(15, 5, seed=0), random_areas(15, 5, seed=1)
    result = paired_bootstrap(a, b, num_resamples=300, seed=7, level=0.9)
    low, high = slow_bootstrap([a], [b], 300, seed=7, level=0.9)
    assert result['low'] == pytest.approx(low, abs=1e-9)
    assert result['high'] == pytest.approx(high, abs=1e-9)
    # Two seeds against three: each model's mIoU is its seeds' mean.
    seeds_a = [random_areas(15, 5, seed=s) for s in (0, 2)]
    seeds_b = [random_areas(15, 5, seed=s) for s in (1, 3, 4)]
    result = paired_bootstrap(
        np.stack(seeds_a), np.stack(seeds_b), 300, seed=7, level=0.9)
    low, high = slow_bootstrap(seeds_a, seeds_b, 300, seed=7, level=0.9)
    assert result['low'] == pytest.approx(low, abs=1e-9)
    assert result['high'] == pytest.approx(high, abs=1e-9)


def test_known_answers():
    a = random_areas(10, 4, seed=2)
    same = paired_bootstrap(a, a.copy())
    assert (same['diff'], same['low'], same['high']) == (0, 0, 0)
    assert not same['excludes_zero']
    # b misses a tenth of a's intersection on every image: worse on every
    # resample, so the whole interval is above 0.
    b = a.copy()
    b[:, 0] = (a[:, 0] * 0.9).astype(np.int64)
    better = paired_bootstrap(a, b)
    assert 0 < better['low'] <= better['diff'] <= better['high']
    assert better['excludes_zero']
    # Two images, one class: a resample holds image 0 twice (p = 1/4),
    # image 1 twice (1/4) or both (1/2), so the 2.5 % and 97.5 %
    # percentiles are the two one-image differences.
    a2 = np.array([[[9], [10]], [[1], [10]]])
    b2 = np.array([[[5], [10]], [[5], [10]]])
    two = paired_bootstrap(a2, b2, num_resamples=4000)
    assert two['diff'] == pytest.approx(0)
    assert (two['low'], two['high']) == pytest.approx((-40, 40))


def test_miou_of_summed_areas_is_mmsegs():
    areas = random_areas(6, 7, seed=3).sum(0)
    # Areas that fit them: label = union, prediction = intersection.
    label, pred = areas[1], areas[0]
    ours = miou_from_areas(areas[0], areas[1])
    theirs = IoUMetric.total_area_to_metrics(
        *(torch.tensor(x, dtype=torch.float64)
          for x in (areas[0], areas[1], pred, label)), ['mIoU'])['IoU']
    assert ours == pytest.approx(np.nanmean(theirs), abs=1e-12)


def test_bad_arguments_are_named():
    a = random_areas(4, 3, seed=4)
    with pytest.raises(ValueError, match=r'\(1, 4, 2, 3\) and \(1, 3, 2, 3\)'):
        paired_bootstrap(a, a[:3])
    with pytest.raises(ValueError, match='level'):
        paired_bootstrap(a, a, level=95)
