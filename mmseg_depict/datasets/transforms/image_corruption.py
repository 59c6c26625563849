import contextlib
import io
import math
import zlib
from typing import Callable, Dict, Iterator, Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS
from PIL import Image

# Severity 1..5 parameters of the common corruptions of Hendrycks &
# Dietterich (ICLR 2019), as Cityscapes-C uses them (Michaelis et al. 2019,
# package ``imagecorruptions``); tests compare with that package.
GAUSSIAN_NOISE_STD = (0.08, 0.12, 0.18, 0.26, 0.38)
DEFOCUS_RADIUS_AND_ALIAS = ((3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5))
MOTION_RADIUS_AND_SIGMA = ((10, 3), (15, 5), (15, 8), (15, 12), (20, 15))
JPEG_QUALITY = (25, 18, 15, 10, 7)
BRIGHTNESS_SHIFT = (0.1, 0.2, 0.3, 0.4, 0.5)
CONTRAST_FACTOR = (0.4, 0.3, 0.2, 0.1, 0.05)


def _to_uint8(x: np.ndarray) -> np.ndarray:
    """[0, 1] floats to uint8 by truncation, as the reference package
    (``np.uint8`` of the clipped x 255)."""
    return (np.clip(x, 0, 1) * 255).astype(np.uint8)


def gaussian_noise(rgb: np.ndarray, severity: int,
                   rng: np.random.RandomState) -> np.ndarray:
    """Additive Gaussian noise on [0, 1] intensities."""
    x = rgb / 255.
    std = GAUSSIAN_NOISE_STD[severity - 1]
    return _to_uint8(x + rng.normal(size=x.shape, scale=std))


def _disk_kernel(radius: int, alias_blur: float) -> np.ndarray:
    """A normalised disk, anti-aliased by a small Gaussian blur."""
    half = max(radius, 8)
    grid = np.arange(-half, half + 1)
    xs, ys = np.meshgrid(grid, grid)
    disk = (xs**2 + ys**2 <= radius**2).astype(np.float32)
    disk /= disk.sum()
    size = 3 if radius <= 8 else 5
    return cv2.GaussianBlur(disk, (size, size), sigmaX=alias_blur)


def defocus_blur(rgb: np.ndarray, severity: int,
                 rng: np.random.RandomState) -> np.ndarray:
    """Convolution with a disk (an out-of-focus lens)."""
    kernel = _disk_kernel(*DEFOCUS_RADIUS_AND_ALIAS[severity - 1])
    x = rgb / 255.
    blurred = np.stack([cv2.filter2D(x[..., c], -1, kernel) for c in range(3)],
                       -1)
    return _to_uint8(blurred)


def motion_blur(rgb: np.ndarray, severity: int,
                rng: np.random.RandomState) -> np.ndarray:
    """The image shifted along a random direction (-45..45 degrees) and
    summed with half-Gaussian weights; the edges are repeated."""
    radius, sigma = MOTION_RADIUS_AND_SIGMA[severity - 1]
    angle = np.deg2rad(rng.uniform(-45, 45))
    width = 2 * radius + 1
    # A Gaussian density (normalising constant included: the reference's
    # rounding) renormalised over the kernel's steps.
    weights = np.exp(-np.arange(width)**2 / (2 * sigma**2)) / (
        np.sqrt(2 * np.pi) * sigma)
    weights = weights / np.sum(weights)
    # The end point of the motion at the kernel's length, and each step's
    # offset rounded to whole pixels, computed in the reference's order of
    # operations so that the offsets round alike.
    end_y, end_x = width * np.sin(angle), width * np.cos(angle)
    length = math.hypot(end_y, end_x)
    h, w = rgb.shape[:2]
    shifts = []
    for i, weight in enumerate(weights):
        dy = -math.ceil(i * end_y / length - 0.5)
        dx = -math.ceil(i * end_x / length - 0.5)
        if abs(dy) >= h or abs(dx) >= w:
            break  # the motion left the image
        shifts.append((dy, dx, weight))
    # Each shifted copy is a window into the image padded once with its
    # edges repeated (the reference clamps every index): same values.
    pad = max(max(abs(dy), abs(dx)) for dy, dx, _ in shifts)
    padded = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    blurred = np.zeros(rgb.shape, np.float64)
    term = np.empty(rgb.shape, np.float64)
    for dy, dx, weight in shifts:
        window = padded[pad - dy:pad - dy + h, pad - dx:pad - dx + w]
        np.multiply(window, weight, out=term)
        blurred += term
    return np.clip(blurred, 0, 255).astype(np.uint8)


def jpeg_compression(rgb: np.ndarray, severity: int,
                     rng: np.random.RandomState) -> np.ndarray:
    """A JPEG round trip at low quality (Pillow's encoder)."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(
        buffer, 'JPEG', quality=JPEG_QUALITY[severity - 1])
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert('RGB'))


def brightness(rgb: np.ndarray, severity: int,
               rng: np.random.RandomState) -> np.ndarray:
    """The HSV value raised: with hue and saturation kept, every channel
    scales by V' / V (a black pixel becomes grey V')."""
    x = rgb / 255.
    value = x.max(-1, keepdims=True)
    raised = np.clip(value + BRIGHTNESS_SHIFT[severity - 1], 0, 1)
    with np.errstate(divide='ignore', invalid='ignore'):
        scaled = np.where(value > 0, x * (raised / value), raised)
    return _to_uint8(scaled)


def contrast(rgb: np.ndarray, severity: int,
             rng: np.random.RandomState) -> np.ndarray:
    """Each channel pulled towards its image mean."""
    x = rgb / 255.
    means = x.mean(axis=(0, 1), keepdims=True)
    return _to_uint8((x - means) * CONTRAST_FACTOR[severity - 1] + means)


#: name -> function(rgb uint8 (H, W, 3), severity 1..5, RandomState).
CORRUPTIONS: Dict[str, Callable] = {
    f.__name__: f
    for f in (gaussian_noise, defocus_blur, motion_blur, jpeg_compression,
              brightness, contrast)
}


def image_seed(seed: int, img_path: str) -> int:
    """A seed per (run seed, image): the same corruption for an image in
    every model's evaluation and every rerun, whatever the order."""
    return zlib.crc32(f'{seed}:{img_path}'.encode()) & 0x7fffffff


@TRANSFORMS.register_module()
class ImageCorruption(BaseTransform):
    """Corrupt ``results['img']`` (BGR uint8, as loaded) with one of
    :data:`CORRUPTIONS` at a severity 1..5, deterministically per image.

    Put it right after ``LoadImageFromFile``: the photograph is corrupted at
    its own size, before any resize, as Cityscapes-C corrupts the originals.

    Inside :meth:`memoised`, each (image, corruption, severity, seed) is
    computed once and then returned from memory: a report that evaluates
    several models on the same corrupted images pays for them once (in the
    process that runs the transform, i.e. without loader workers).

    Args:
        corruption (str): A key of :data:`CORRUPTIONS`.
        severity (int): 1 (mild) .. 5 (severe).
        seed (int): Combined with the image path into the random state of
            the random corruptions (noise, motion direction).
    """

    #: The store of the active :meth:`memoised` context, else None.
    _memo: Optional[Dict[tuple, np.ndarray]] = None

    @classmethod
    @contextlib.contextmanager
    def memoised(cls, store: Dict[tuple, np.ndarray]) -> Iterator[None]:
        """Within the context, corrupted images are looked up in ``store``
        (keyed by image path, corruption, severity and seed) and added to
        it; pass the same dict to reuse them in a later context."""
        outer, cls._memo = cls._memo, store
        try:
            yield
        finally:
            cls._memo = outer

    def __init__(self, corruption: str, severity: int, seed: int = 0) -> None:
        if corruption not in CORRUPTIONS:
            raise ValueError(f"unknown corruption '{corruption}'; expected "
                             f'one of {sorted(CORRUPTIONS)}')
        if severity not in (1, 2, 3, 4, 5):
            raise ValueError(f'severity must be 1..5, got {severity!r}')
        self.corruption = corruption
        self.severity = severity
        self.seed = seed

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(
                f"ImageCorruption expects a 3-channel uint8 image, got "
                f"{img.dtype} {img.shape} from '{results.get('img_path')}'")
        path = results.get('img_path', '')
        key = (path, self.corruption, self.severity, self.seed)
        memo = type(self)._memo
        if memo is not None and key in memo:
            results['img'] = memo[key].copy()
            return results
        rng = np.random.RandomState(image_seed(self.seed, path))
        rgb = np.ascontiguousarray(img[..., ::-1])
        corrupted = CORRUPTIONS[self.corruption](rgb, self.severity, rng)
        results['img'] = np.ascontiguousarray(corrupted[..., ::-1])
        if memo is not None and path:
            memo[key] = results['img'].copy()
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(corruption={self.corruption!r}, '
                f'severity={self.severity}, seed={self.seed})')
