"""COCO panoptic PNG encoding: ``id = R + 256 G + 256^2 B``; 0 = VOID.

Light on purpose (numpy and pyspng; OpenCV only as a fallback): the offline
PQ tool imports it without the rest of the package.
"""
import sys

import numpy as np

try:  # libspng decodes PNGs faster than OpenCV's libpng (benchmarks.md)
    import pyspng
except ImportError:  # pragma: no cover - it is in requirements.txt
    pyspng = None

#: PNG colour types (IHDR byte 25); RGB (truecolour) and palette hold ids.
_COLOUR_TYPE_NAMES = {
    0: 'grayscale',
    2: 'RGB',
    3: 'palette',
    4: 'grayscale + alpha',
    6: 'RGBA'
}
_RGB_COLOUR_TYPES = (2, 3)


def rgb2id(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB colours -> (H, W) int64 segment ids."""
    rgb = rgb.astype(np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


def _png_bytes(path: str) -> bytes:
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except (FileNotFoundError, IsADirectoryError):
        raise FileNotFoundError(f"panoptic PNG '{path}' not found") from None
    if data[:8] != b'\x89PNG\r\n\x1a\n' or len(data) < 33:
        raise ValueError(f"'{path}' is not a PNG file")
    depth, colour = data[24], data[25]
    if colour not in _RGB_COLOUR_TYPES or depth != 8:
        kind = _COLOUR_TYPE_NAMES.get(colour, f'colour type {colour}')
        raise ValueError(f"panoptic PNG '{path}' is {depth}-bit {kind}; "
                         'expected 8-bit RGB (COCO-panoptic ids)')
    return data


def read_panoptic_ids(path: str) -> np.ndarray:
    """Read a COCO-panoptic PNG as (H, W) uint32 segment ids.

    One pass over the pixels: libspng decodes straight to RGBA, whose
    bytes, read as little-endian uint32, are ``R + 256 G + 256^2 B + 255 *
    256^3``; the constant top byte is cleared in place. No int64
    arithmetic, no per-channel copies. (Without pyspng, or for other file
    types: OpenCV, then the same reinterpretation.)

    Raises:
        FileNotFoundError: if the file is missing or not an image.
        ValueError: if it is not an 8-bit RGB image.
    """
    little = sys.byteorder == 'little'
    if pyspng is not None and path.lower().endswith('.png') and little:
        data = _png_bytes(path)
        try:
            rgba = pyspng.load(data, format='RGBA')
        except RuntimeError as e:
            raise ValueError(f"panoptic PNG '{path}' cannot be decoded: "
                             f'{e}') from None
    else:
        import cv2
        bgr = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if bgr is None:
            raise FileNotFoundError(f"panoptic PNG '{path}' not found or not "
                                    'an image')
        if bgr.ndim != 3 or bgr.shape[2] != 3 or bgr.dtype != np.uint8:
            found = (f'{bgr.shape[2]} channels'
                     if bgr.ndim == 3 else 'one channel') + f' of {bgr.dtype}'
            raise ValueError(f"panoptic PNG '{path}' has {found}; expected "
                             '8-bit RGB (COCO-panoptic ids)')
        if not little:
            return rgb2id(bgr[..., ::-1]).astype(np.uint32)
        rgba = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGBA)
    ids = rgba.view(np.uint32)[..., 0]
    ids &= 0xFFFFFF
    return ids


def id2rgb(ids: np.ndarray) -> np.ndarray:
    """(H, W) segment ids -> (H, W, 3) uint8 RGB, the inverse of rgb2id."""
    return np.stack([ids % 256, ids // 256 % 256, ids // 65536 % 256],
                    axis=-1).astype(np.uint8)


def segment_bbox(mask: np.ndarray) -> list:
    """COCO ``[x, y, width, height]`` box of a non-empty (H, W) bool mask."""
    ys, xs = np.nonzero(mask)
    return [
        int(xs.min()),
        int(ys.min()),
        int(xs.max() - xs.min() + 1),
        int(ys.max() - ys.min() + 1)
    ]
