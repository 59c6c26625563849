import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class EnlargeShortSide(BaseTransform):
    """Enlarge a test image whose shorter side is below ``min_size`` so that
    it becomes ``min_size``; larger images pass unchanged.

    This is the DEPICT / Segmenter release's test protocol: before its
    sliding window it enlarges every image (at every test scale) whose
    shorter side is smaller than the window, so that the window always fits;
    mmseg would pad instead. The release interpolates its normalised float
    tensor, so this transform works on float values as well (bilinear, half
    pixel centres, no rounding to uint8) — normalising is affine per channel,
    so resizing before or after it gives the same numbers. The new longer
    side is truncated, as the release does: ``int(long / short * min_size)``.

    Place it after the test ``Resize`` (and after ``RandomFlip`` in a
    test-time augmentation). ``img_shape`` and ``scale_factor`` are updated,
    so predictions are still resized back to the original image.

    Required keys: ``img``. Modified keys: ``img`` (float32 when enlarged),
    ``img_shape``, ``scale_factor``.

    Args:
        min_size (int): The smallest allowed shorter side, the sliding
            window's size.
    """

    def __init__(self, min_size: int) -> None:
        if min_size <= 0:
            raise ValueError(f'min_size={min_size}: expected a positive size')
        self.min_size = min_size

    def transform(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        if min(h, w) >= self.min_size:
            return results
        if h < w:
            new_h, new_w = self.min_size, int(w / h * self.min_size)
        else:
            new_h, new_w = int(h / w * self.min_size), self.min_size
        results['img'] = cv2.resize(
            img.astype(np.float32), (new_w, new_h),
            interpolation=cv2.INTER_LINEAR)
        results['img_shape'] = (new_h, new_w)
        old = results.get('scale_factor', (1.0, 1.0))
        results['scale_factor'] = (old[0] * new_w / w, old[1] * new_h / h)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(min_size={self.min_size})'
