"""The DEPICT configs test as the DEPICT / Segmenter release does (see
configs/depict/README.md): the window-enlarging transform, and every DEPICT
config's network numerics, test scale, window, stride and multi-scale
resizes."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from mmseg_depict.datasets.transforms import EnlargeShortSide
from .common import CONFIGS

#: dataset -> (test scale, window, stride) of the release's config file;
#: ADE20K at 640 applies its rule (window = stride = image size) at 640.
RELEASE = {
    'ade20k-512x512': ((2048, 512), 512, 512),
    'ade20k-640x640': ((2560, 640), 640, 640),
    'pascal-context-59-480x480': ((4160, 520), 480, 320),
    'cityscapes-768x768': ((2048, 1024), 768, 512),
}
RELEASE_CONFIGS = sorted(
    p for p in glob.glob(osp.join(CONFIGS, 'depict', '*.py'))
    if '-mln' not in p)  # the -mln config is Mask2Former's recipe


def test_enlarge_short_side_is_bilinear_on_float_values():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (30, 70, 3), dtype=np.uint8)
    out = EnlargeShortSide(min_size=48)(
        dict(img=img, img_shape=(30, 70), scale_factor=(2.0, 2.0)))
    assert out['img'].shape == (48, int(70 / 30 * 48), 3)  # truncated, as
    assert out['img'].dtype == np.float32  # the release: no uint8 rounding
    expected = F.interpolate(
        torch.from_numpy(img).permute(2, 0, 1)[None].double(),
        size=out['img'].shape[:2],
        mode='bilinear',
        align_corners=False)[0].permute(1, 2, 0).numpy()
    assert np.abs(out['img'] - expected).max() < 1e-3  # float32 rounding
    assert out['img_shape'] == (48, 112)
    assert out['scale_factor'] == pytest.approx(
        (2.0 * 112 / 70, 2.0 * 48 / 30))
    tall = EnlargeShortSide(min_size=48)(dict(img=img.transpose(1, 0, 2)))
    assert tall['img'].shape[:2] == (112, 48)


def test_images_at_least_the_window_pass_unchanged():
    img = np.zeros((48, 50, 3), np.uint8)
    out = EnlargeShortSide(min_size=48)(dict(img=img, img_shape=(48, 50)))
    assert out['img'] is img and out['img_shape'] == (48, 50)
    with pytest.raises(ValueError, match='min_size=0'):
        EnlargeShortSide(min_size=0)


@pytest.mark.parametrize(
    'path', RELEASE_CONFIGS, ids=[osp.basename(p) for p in RELEASE_CONFIGS])
def test_depict_configs_follow_the_release(path):
    cfg = Config.fromfile(path)
    scale, window, stride = next(v for k, v in RELEASE.items() if k in path)
    backbone = cfg.model.backbone
    assert backbone.norm_cfg.eps == 1e-5
    assert backbone.interpolate_mode == 'bilinear'
    assert tuple(backbone.img_size) == (window, window)
    assert cfg.model.test_cfg.crop_size == (window, window)
    assert cfg.model.test_cfg.stride == (stride, stride)
    types = [t['type'] for t in cfg.test_pipeline]
    assert types[1:3] == ['Resize', 'EnlargeShortSide']
    assert cfg.test_pipeline[1]['scale'] == scale
    assert cfg.test_pipeline[2]['min_size'] == window
    assert cfg.test_dataloader.dataset.pipeline == cfg.test_pipeline
    resizes, flips, enlarge = cfg.tta_pipeline[1]['transforms'][:3]
    assert [t['scale']
            for t in resizes] == [(int(scale[0] * r), int(scale[1] * r))
                                  for r in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)]
    assert [t['prob'] for t in flips] == [0., 1.]
    assert enlarge == [dict(type='EnlargeShortSide', min_size=window)]
    train_resize = next(t for t in cfg.train_dataloader.dataset.pipeline
                        if t['type'] == 'RandomResize')
    assert train_resize['scale'] == scale
