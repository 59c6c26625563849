"""Boundary IoU of semantic label maps (Cheng et al., CVPR 2021).

Boundary IoU scores each class only near its contours: with ``G`` the
label's mask of a class and ``P`` the prediction's, and ``X_d`` the pixels
of mask ``X`` within ``d`` of its contour,

    BIoU = |(G_d) & (P_d)| / |(G_d) | (P_d)|

summed over the images of a split before dividing (as mIoU sums areas).
``d`` is a fraction of the image diagonal (2 % in the paper), at least one
pixel. Distances are chessboard distances and the image border counts as a
contour, as in the paper's code (``mask_to_boundary``: a zero-padded mask
eroded ``d`` times with a 3x3 kernel); one dilation and one erosion of the
whole label map with a (2d + 1)-square kernel give every class's band in
one pass.

Light on purpose (numpy and cv2 only), like
:mod:`mmseg_depict_light.semantic_folders`.
"""
import math

import cv2
import numpy as np


def boundary_width(height: int, width: int, ratio: float = 0.02) -> int:
    """``d`` in pixels: ``ratio`` of the image diagonal, rounded, >= 1."""
    if ratio <= 0:
        raise ValueError(f'boundary ratio must be positive, got {ratio}')
    return max(1, int(round(ratio * math.hypot(height, width))))


def label_boundary(labels: np.ndarray, d: int) -> np.ndarray:
    """Pixels within chessboard distance ``d`` of a pixel with another
    label or of the image's outside: the contour bands of every class of a
    label map at once.

    A pixel is inside its class's region exactly when the largest and the
    smallest label of its (2d + 1)-square window agree and the window lies
    in the image, so one dilation and one erosion of the whole map give
    what one pass per class would (:func:`inner_boundary`).

    Args:
        labels (np.ndarray): (H, W) non-negative integer labels.
        d (int): Distance in pixels, >= 1.

    Returns:
        np.ndarray: (H, W) bool.
    """
    top = int(labels.max(initial=0))
    # cv2's morphology takes 8- and 16-bit integers and float32 (exact on
    # integers up to 2**24).
    dtype = np.uint8 if top < 2**8 else np.uint16 if top < 2**16 else (
        np.float32)
    values = labels.astype(dtype)
    kernel = np.ones((2 * d + 1, 2 * d + 1), np.uint8)
    near = cv2.dilate(values, kernel, borderType=cv2.BORDER_REPLICATE) != \
        cv2.erode(values, kernel, borderType=cv2.BORDER_REPLICATE)
    # The image's outside: every pixel within d of the border.
    near[:d] = True
    near[-d:] = True
    near[:, :d] = True
    near[:, -d:] = True
    return near


def inner_boundary(mask: np.ndarray, d: int) -> np.ndarray:
    """Pixels of ``mask`` within chessboard distance ``d`` of a pixel
    outside it (the image's outside included).

    Args:
        mask (np.ndarray): (H, W) bool.
        d (int): Distance in pixels, >= 1.

    Returns:
        np.ndarray: (H, W) bool, a subset of ``mask``.
    """
    return mask & label_boundary(mask.view(np.uint8), d)


def boundary_areas(gt: np.ndarray,
                   pred: np.ndarray,
                   num_classes: int,
                   ignore_index: int = 255,
                   ratio: float = 0.02) -> np.ndarray:
    """Per class, the intersection and union of the label's and the
    prediction's contour bands in one image.

    Contours are those of the full maps (an ignored region borders the
    classes around it); pixels whose label is ``ignore_index`` are then left
    out of both counts, as mmseg's ``IoUMetric`` leaves them out.

    Args:
        gt (np.ndarray): (H, W) integer labels, classes 0..K-1 or
            ``ignore_index``.
        pred (np.ndarray): (H, W) integer predictions, classes 0..K-1.
        num_classes (int): K.
        ignore_index (int): The label value that is not scored.
        ratio (float): ``d`` as a fraction of the image diagonal.

    Returns:
        np.ndarray: (2, K) int64: intersection, union.
    """
    if gt.shape != pred.shape:
        raise ValueError(f'prediction is {pred.shape[1]}x{pred.shape[0]}, '
                         f'its label map {gt.shape[1]}x{gt.shape[0]}')
    d = boundary_width(*gt.shape, ratio=ratio)
    scored = gt != ignore_index
    gt_band = label_boundary(gt, d) & scored
    pred_band = label_boundary(pred, d) & scored
    both = gt_band & pred_band & (gt == pred)

    def per_class(values: np.ndarray) -> np.ndarray:
        return np.bincount(
            values.astype(np.int64), minlength=num_classes)[:num_classes]

    intersect = per_class(gt[both])
    union = per_class(gt[gt_band]) + per_class(pred[pred_band]) - intersect
    return np.stack([intersect, union])


def boundary_iou(areas: np.ndarray) -> dict:
    """Per-class boundary IoU (NaN where the class has no band in labels
    or predictions) and their NaN-mean, from (2, K) summed areas."""
    intersect, union = areas.astype(np.float64)
    with np.errstate(divide='ignore', invalid='ignore'):
        iou = intersect / union
    return dict(
        BIoU=iou, mBIoU=np.nanmean(iou) if np.isfinite(iou).any() else np.nan)
