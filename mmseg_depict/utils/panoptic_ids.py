"""COCO panoptic PNG encoding: ``id = R + 256 G + 256^2 B``; 0 = VOID.

Light on purpose (numpy and cv2 only): the offline PQ tool imports it
without the rest of the package.
"""
import sys

import cv2
import numpy as np


def rgb2id(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB colours -> (H, W) int64 segment ids."""
    rgb = rgb.astype(np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


def read_panoptic_ids(path: str) -> np.ndarray:
    """Read a COCO-panoptic PNG as (H, W) uint32 segment ids.

    Two passes over the pixels: the PNG decode, and one channel reordering
    (BGR -> RGBA) whose bytes, read as little-endian uint32, are
    ``R + 256 G + 256^2 B + 255 * 256^3``; the constant top byte is cleared
    in place. No int64 arithmetic, no per-channel copies.

    Raises:
        FileNotFoundError: if the file is missing or not an image.
        ValueError: if it is not an 8-bit, 3-channel (RGB) image.
    """
    bgr = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if bgr is None:
        raise FileNotFoundError(f"panoptic PNG '{path}' not found or not an "
                                'image')
    if bgr.ndim != 3 or bgr.shape[2] != 3 or bgr.dtype != np.uint8:
        found = (f'{bgr.shape[2]} channels' if bgr.ndim == 3 else
                 'one channel') + f' of {bgr.dtype}'
        raise ValueError(f"panoptic PNG '{path}' has {found}; expected 8-bit "
                         'RGB (COCO-panoptic ids)')
    if sys.byteorder != 'little':
        return rgb2id(bgr[..., ::-1]).astype(np.uint32)
    ids = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGBA).view(np.uint32)[..., 0]
    ids &= 0xFFFFFF
    return ids


def id2rgb(ids: np.ndarray) -> np.ndarray:
    """(H, W) segment ids -> (H, W, 3) uint8 RGB, the inverse of rgb2id."""
    return np.stack([ids % 256, ids // 256 % 256, ids // 65536 % 256],
                    axis=-1).astype(np.uint8)


def segment_bbox(mask: np.ndarray) -> list:
    """COCO ``[x, y, width, height]`` box of a non-empty (H, W) bool mask."""
    ys, xs = np.nonzero(mask)
    return [int(xs.min()), int(ys.min()),
            int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]
