"""COCO panoptic PNG encoding: ``id = R + 256 G + 256^2 B``; 0 = VOID."""
import numpy as np


def rgb2id(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB colours -> (H, W) int64 segment ids."""
    rgb = rgb.astype(np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


def id2rgb(ids: np.ndarray) -> np.ndarray:
    """(H, W) segment ids -> (H, W, 3) uint8 RGB, the inverse of rgb2id."""
    return np.stack([ids % 256, ids // 256 % 256, ids // 65536 % 256],
                    axis=-1).astype(np.uint8)


def segment_bbox(mask: np.ndarray) -> list:
    """COCO ``[x, y, width, height]`` box of a non-empty (H, W) bool mask."""
    ys, xs = np.nonzero(mask)
    return [int(xs.min()), int(ys.min()),
            int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]
