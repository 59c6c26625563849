"""PQ against hand-computed cases and the per-segment reference."""
import numpy as np
import pytest

from mmseg_depict.evaluation import PQStats, pq_dataset_stats, pq_image_stats
from .panoptic_quality_reference import reference_pq_image_stats


def strip(spans, width=200):
    """A 1 x width id map from {segment id: (start, stop)} column spans."""
    ids = np.zeros((1, width), np.int64)
    for seg, (start, stop) in spans.items():
        ids[0, start:stop] = seg
    return ids


def both(gt, gt_seg, pred, pred_seg, n=3):
    ours = pq_image_stats(gt, gt_seg, pred, pred_seg, n)
    ref = reference_pq_image_stats(gt, gt_seg, pred, pred_seg, n)
    for key in ('tp', 'fp', 'fn'):
        np.testing.assert_array_equal(getattr(ours, key), getattr(ref, key))
    np.testing.assert_allclose(ours.iou, ref.iou)
    return ours


@pytest.mark.parametrize('pred_stop,matched', [(51, True), (50, False)])
def test_iou_just_above_and_below_half(pred_stop, matched):
    gt = strip({1: (0, 100)})
    pred = strip({7: (0, pred_stop)})
    stats = both(gt, {1: (0, False)}, pred, {7: 0})
    if matched:
        assert (stats.tp[0], stats.fp[0], stats.fn[0]) == (1, 0, 0)
        assert stats.iou[0] == pytest.approx(0.51)
        assert stats.summary([True, True, False])['All']['pq'] == \
            pytest.approx(0.51)
    else:
        assert (stats.tp[0], stats.fp[0], stats.fn[0]) == (0, 1, 1)
        assert stats.summary([True, True, False])['All']['pq'] == 0.0


def test_void_pixels_leave_the_union():
    gt = strip({1: (0, 100)})  # columns 100..199 are VOID
    pred = strip({5: (40, 200)})  # 60 on the segment, 100 on VOID
    stats = both(gt, {1: (0, False)}, pred, {5: 0})
    assert stats.tp[0] == 1
    assert stats.iou[0] == pytest.approx(60 / 100)  # not 60 / 200


def test_crowd_is_neither_false_negative_nor_false_positive():
    gt = strip({1: (0, 100), 2: (100, 200)})
    gt_seg = {1: (0, True), 2: (1, False)}
    pred = strip({9: (0, 80), 10: (100, 120)})
    stats = both(gt, gt_seg, pred, {9: 0, 10: 0})
    # 9 lies on crowd of its own category: ignored. 10 lies on segment 2
    # (another category): a false positive. Segment 2 is missed.
    assert stats.fp.tolist() == [1, 0, 0]
    assert stats.fn.tolist() == [0, 1, 0]
    assert stats.tp.sum() == 0


@pytest.mark.parametrize('void_columns,is_fp', [(61, False), (40, True)])
def test_void_dominated_prediction_is_not_a_false_positive(
        void_columns, is_fp):
    gt = strip({1: (0, 100)})  # VOID from column 100
    pred = strip({4: (100 - (100 - void_columns), 100 + void_columns)})
    stats = both(gt, {1: (1, False)}, pred, {4: 2})
    assert stats.fp[2] == int(is_fp)


def test_stuff_split_in_two_counts_one_false_positive():
    gt = strip({3: (0, 100)})
    split = both(gt, {3: (2, False)}, strip({
        1: (0, 60),
        2: (60, 100)
    }), {
        1: 2,
        2: 2
    })
    assert (split.tp[2], split.fp[2], split.fn[2]) == (1, 1, 0)
    assert split.summary([True, True, False])['Stuff']['pq'] == \
        pytest.approx(0.6 / 1.5)
    merged = both(gt, {3: (2, False)}, strip({1: (0, 100)}), {1: 2})
    assert merged.summary([True, True, False])['Stuff']['pq'] == 1.0


def test_empty_images():
    empty = np.zeros((4, 5), np.int64)
    stats = both(empty, {}, empty, {})
    summary = stats.summary([True, False, False])
    assert summary['All'] == dict(pq=0.0, sq=0.0, rq=0.0, n=0)
    assert summary['per_class'] == {}
    # A prediction on an image that is VOID everywhere lies wholly on VOID:
    # not a false positive.
    only_pred = both(empty, {}, np.full((4, 5), 3), {3: 1})
    assert only_pred.fp.tolist() == [0, 0, 0]
    # Ground truth without any prediction: every segment is missed.
    only_gt = both(np.full((4, 5), 2), {2: (1, False)}, empty, {})
    assert only_gt.fn.tolist() == [0, 1, 0]


def test_summary_splits_things_and_stuff_and_skips_absent():
    stats = PQStats(4)
    stats.tp[:] = [2, 0, 1, 0]
    stats.iou[:] = [1.6, 0, 0.9, 0]
    stats.fp[:] = [0, 1, 1, 0]
    stats.fn[:] = [2, 0, 0, 0]
    s = stats.summary([True, True, False, False])
    assert (s['Things']['n'], s['Stuff']['n'], s['All']['n']) == (2, 1, 3)
    # Category 0: TP 2, FN 2 -> PQ = 1.6 / (2 + 1), SQ = 0.8, RQ = 2 / 3.
    assert s['per_class'][0]['pq'] == pytest.approx(1.6 / 3)
    assert s['per_class'][0]['sq'] == pytest.approx(0.8)
    assert s['per_class'][0]['rq'] == pytest.approx(2 / 3)
    assert s['Things']['pq'] == pytest.approx((1.6 / 3 + 0.0) / 2)
    assert s['Stuff']['pq'] == pytest.approx(0.9 / 1.5)
    assert 3 not in s['per_class']


def test_unknown_segment_id_is_named():
    gt = strip({1: (0, 10)})
    with pytest.raises(ValueError, match=r'predicted segment ids \[8\]'):
        pq_image_stats(gt, {1: (0, False)}, strip({8: (0, 5)}), {}, 2)


def random_panoptic_pair(rng, shape=(48, 64), categories=5):
    """Blobby ground truth (with crowd and VOID) and a perturbed prediction."""
    h, w = shape
    gt = np.zeros(shape, np.int64)
    gt_seg = {}
    for seg in range(1, rng.integers(3, 9)):
        y, x = rng.integers(0, h), rng.integers(0, w)
        r = rng.integers(4, 16)
        yy, xx = np.ogrid[:h, :w]
        gt[(yy - y)**2 + (xx - x)**2 < r * r] = seg * 10
        gt_seg[seg * 10] = (int(rng.integers(categories)), rng.random() < 0.15)
    gt_seg = {k: v for k, v in gt_seg.items() if (gt == k).any()}
    pred = gt.copy()
    pred[rng.random(shape) < rng.uniform(0.05, 0.5)] = 0
    shift = rng.integers(-6, 7, 2)
    pred = np.roll(pred, tuple(shift), axis=(0, 1))
    rows = rng.random(h) < 0.3  # a spurious predicted segment
    pred[rows, rng.integers(0, w):] = 999
    ids = [i for i in np.unique(pred) if i != 0]
    pred_seg = {
        int(i): (gt_seg[i][0] if i in gt_seg and rng.random() < 0.8 else int(
            rng.integers(categories)))
        for i in ids
    }
    return gt, gt_seg, pred, pred_seg


def test_matches_reference_on_random_maps():
    rng = np.random.default_rng(0)
    total_ref = PQStats(5)
    samples = [random_panoptic_pair(rng) for _ in range(60)]
    for sample in samples:
        both(*sample, n=5)
        total_ref += reference_pq_image_stats(*sample, 5)
    parallel = pq_dataset_stats(
        range(len(samples)), samples.__getitem__, 5, nproc=2)
    np.testing.assert_array_equal(parallel.tp, total_ref.tp)
    np.testing.assert_array_equal(parallel.fp, total_ref.fp)
    np.testing.assert_array_equal(parallel.fn, total_ref.fn)
    np.testing.assert_allclose(parallel.iou, total_ref.iou)
    assert total_ref.tp.sum() > 20 and total_ref.fp.sum() > 5


def test_large_rgb_encoded_ids_give_the_same_counts():
    """COCO-style ids (R + 256 G + 256^2 B) exceed the lookup table."""
    rng = np.random.default_rng(3)
    gt, gt_seg, pred, pred_seg = random_panoptic_pair(rng)
    big = 5_000_000

    def scale(ids, segments):
        return (np.where(ids > 0, ids + big, 0), {
            k + big: v
            for k, v in segments.items()
        })

    small = pq_image_stats(gt, gt_seg, pred, pred_seg, 5)
    large = both(*scale(gt, gt_seg), *scale(pred, pred_seg), n=5)
    for key in ('tp', 'fp', 'fn', 'iou'):
        np.testing.assert_array_equal(getattr(small, key), getattr(large, key))
    with pytest.raises(ValueError, match='predicted segment ids'):
        pq_image_stats(gt + big * (gt > 0), {
            k + big: v
            for k, v in gt_seg.items()
        }, np.full(gt.shape, big + 12345), {}, 5)
