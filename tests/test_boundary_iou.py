"""Boundary IoU against the definition, evaluated pixel by pixel."""
import itertools

import cv2
import numpy as np
import pytest

from mmseg_depict.evaluation.boundary_iou import (boundary_areas, boundary_iou,
                                                  boundary_width,
                                                  inner_boundary)


def direct_band(mask: np.ndarray, d: int) -> np.ndarray:
    """The definition, pixel by pixel in float64: a mask pixel is in the
    band when a pixel outside the mask, or outside the image, lies within
    chessboard distance d."""
    h, w = mask.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    out_y, out_x = ys[~mask], xs[~mask]
    band = np.zeros_like(mask)
    for y, x in itertools.product(range(h), range(w)):
        if not mask[y, x]:
            continue
        to_outside = min(y + 1, x + 1, h - y, w - x)
        to_background = np.maximum(np.abs(out_y - y),
                                   np.abs(out_x - x)).min(initial=np.inf)
        band[y, x] = min(to_outside, to_background) <= d
    return band


def paper_band(mask: np.ndarray, d: int) -> np.ndarray:
    """The procedure of the paper's code (boundary-iou-api's
    ``mask_to_boundary``): pad with one zero pixel, erode d times with a
    3x3 kernel, keep what erosion removed."""
    padded = cv2.copyMakeBorder(
        mask.astype(np.uint8), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    eroded = cv2.erode(padded, np.ones((3, 3), np.uint8), iterations=d)
    return mask & ~eroded[1:-1, 1:-1].astype(bool)


def blobs(shape, num_classes, seed):
    """A label map of a few rectangles over a background class."""
    rng = np.random.default_rng(seed)
    label = np.zeros(shape, np.int64)
    for _ in range(6):
        y0, x0 = rng.integers(0, shape[0] - 2), rng.integers(0, shape[1] - 2)
        y1 = y0 + rng.integers(2, shape[0] // 2)
        x1 = x0 + rng.integers(2, shape[1] // 2)
        label[y0:y1, x0:x1] = rng.integers(0, num_classes)
    return label


@pytest.mark.parametrize('d', [1, 2, 3, 8])
def test_band_is_the_definition_and_the_papers_procedure(d):
    for seed in range(4):
        label = blobs((13, 17), 4, seed)
        for c in range(4):
            mask = label == c
            band = inner_boundary(mask, d)
            np.testing.assert_array_equal(band, direct_band(mask, d))
            np.testing.assert_array_equal(band, paper_band(mask, d))


def test_image_border_is_a_contour_and_an_empty_mask_has_no_band():
    full = np.ones((9, 11), bool)
    band = inner_boundary(full, 2)
    assert band[2:-2, 2:-2].sum() == 0 and band.sum() == 9 * 11 - 5 * 7
    assert not inner_boundary(np.zeros((9, 11), bool), 2).any()


def test_width_is_two_percent_of_the_diagonal_at_least_one():
    assert boundary_width(360, 480) == 12  # diagonal 600
    assert boundary_width(10, 10) == 1  # 0.28 rounds to 0 -> 1
    with pytest.raises(ValueError, match='positive'):
        boundary_width(10, 10, ratio=0)


def direct_areas(gt, pred, num_classes, ignore_index, d):
    """Intersection and union per class from :func:`direct_band`."""
    scored = gt != ignore_index
    areas = np.zeros((2, num_classes), np.int64)
    for c in range(num_classes):
        g = direct_band(gt == c, d) & scored
        p = direct_band(pred == c, d) & scored
        areas[:, c] = (g & p).sum(), (g | p).sum()
    return areas


def test_areas_leave_out_ignored_pixels_and_absent_classes():
    gt = blobs((20, 24), 3, seed=1)
    gt[5:9, :] = 255  # an ignored stripe across the image
    pred = blobs((20, 24), 3, seed=2)
    pred[12:18, 2:8] = 3  # class 3: predicted, never labelled
    d = boundary_width(20, 24, ratio=0.1)  # 3
    areas = boundary_areas(gt, pred, 5, ignore_index=255, ratio=0.1)
    np.testing.assert_array_equal(areas, direct_areas(gt, pred, 5, 255, d))
    metrics = boundary_iou(areas)
    assert np.isnan(metrics['BIoU'][4])  # in neither map: out of the mean
    assert areas[1, 3] > 0 and metrics['BIoU'][3] == 0
    assert metrics['mBIoU'] == pytest.approx(
        np.mean(areas[0, :4] / areas[1, :4]))


def test_perfect_prediction_scores_one_and_shape_mismatch_is_refused():
    gt = blobs((16, 16), 3, seed=3)
    metrics = boundary_iou(boundary_areas(gt, gt.copy(), 3))
    assert metrics['mBIoU'] == 1.0
    with pytest.raises(ValueError, match='16x15'):
        boundary_areas(gt, gt[:15], 3)


@pytest.mark.parametrize('num_classes', [6, 300])
def test_areas_of_many_maps_and_classes_are_the_definitions(num_classes):
    # 300 classes: labels beyond 8 bits take the 16-bit morphology.
    for seed in range(3):
        gt = blobs((13, 17), num_classes, seed)
        pred = blobs((13, 17), num_classes, seed + 10)
        gt[0:3, 5:9] = 255 if num_classes < 255 else 65535
        ignore = int(gt[0, 5])
        for ratio in (0.05, 0.2):
            d = boundary_width(13, 17, ratio=ratio)
            np.testing.assert_array_equal(
                boundary_areas(gt, pred, num_classes, ignore, ratio),
                direct_areas(gt, pred, num_classes, ignore, d))
