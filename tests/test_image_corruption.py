"""Image corruptions equal the ``imagecorruptions`` package (Cityscapes-C's)
on a real photograph, at every severity; the transform is deterministic per
image and seed."""
import numpy as np
import pytest

from mmseg_depict.datasets.transforms import ImageCorruption
from mmseg_depict.datasets.transforms.image_corruption import CORRUPTIONS

imagecorruptions = pytest.importorskip('imagecorruptions')
skimage_data = pytest.importorskip('skimage.data')


@pytest.fixture(scope='module')
def photo():
    """A crop of scikit-image's astronaut photograph (RGB uint8)."""
    return np.ascontiguousarray(skimage_data.astronaut()[40:136, 180:308])


@pytest.mark.parametrize('name', sorted(CORRUPTIONS))
@pytest.mark.parametrize('severity', [1, 2, 3, 4, 5])
def test_equal_to_the_reference_package(photo, name, severity):
    np.random.seed(severity)  # the package draws from numpy's global state
    expected = imagecorruptions.corrupt(
        photo, severity=severity, corruption_name=name)
    ours = CORRUPTIONS[name](photo, severity, np.random.RandomState(severity))
    assert ours.dtype == np.uint8 and ours.shape == photo.shape
    difference = np.abs(ours.astype(int) - expected.astype(int))
    if name == 'brightness':
        # HSV -> raise V -> RGB in closed form (every channel times V'/V)
        # instead of scikit-image's piecewise conversion: the same value up
        # to float rounding, which moves some truncations by one level.
        assert difference.max() <= 1 and (difference > 0).mean() < 0.05
    else:
        assert difference.max() == 0
    assert (ours != photo).any()


def test_transform_is_deterministic_per_image_and_bgr(photo):
    bgr = np.ascontiguousarray(photo[..., ::-1])
    noise = ImageCorruption('gaussian_noise', 3, seed=5)

    def run(transform, path):
        return transform(dict(img=bgr.copy(), img_path=path))['img']

    first, again = run(noise, 'a.png'), run(noise, 'a.png')
    np.testing.assert_array_equal(first, again)
    assert (run(noise, 'b.png') != first).any()
    assert (run(ImageCorruption('gaussian_noise', 3, seed=6), 'a.png')
            != first).any()
    # Channel order: the contrast of the BGR image is the RGB one, flipped.
    contrast = run(ImageCorruption('contrast', 2), 'a.png')
    np.testing.assert_array_equal(contrast[..., ::-1],
                                  CORRUPTIONS['contrast'](photo, 2, None))


def test_memoised_images_are_made_once_and_equal(photo):
    """Inside ``memoised(store)`` an image is corrupted once per (path,
    corruption, severity, seed); a later context with the same store gets
    the stored image (the same as computing it again), not a shared one."""
    bgr = np.ascontiguousarray(photo[..., ::-1])
    blur = ImageCorruption('motion_blur', 2, seed=1)
    expected = blur(dict(img=bgr.copy(), img_path='a.png'))['img']
    store = {}
    with ImageCorruption.memoised(store):
        first = blur(dict(img=bgr.copy(), img_path='a.png'))['img']
        other = ImageCorruption('motion_blur', 3, seed=1)(
            dict(img=bgr.copy(), img_path='a.png'))['img']
    assert len(store) == 2
    np.testing.assert_array_equal(first, expected)
    first[:] = 0  # the caller's copy, not the stored image
    with ImageCorruption.memoised(store):
        # A black input: a stored image can only come from the store.
        again = blur(dict(img=np.zeros_like(bgr), img_path='a.png'))['img']
    np.testing.assert_array_equal(again, expected)
    assert (other != expected).any()
    # Outside any context nothing is looked up.
    fresh = blur(dict(img=np.zeros_like(bgr), img_path='a.png'))['img']
    assert not fresh.any()


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="unknown corruption 'fog'"):
        ImageCorruption('fog', 1)
    with pytest.raises(ValueError, match='severity must be 1..5, got 0'):
        ImageCorruption('contrast', 0)
    with pytest.raises(ValueError, match="float64 .* from 'x.png'"):
        ImageCorruption('contrast', 1)(
            dict(img=np.zeros((4, 4, 3)), img_path='x.png'))
