"""Mask2Former (mmdet's head through mmseg's wrapper) trains and tests on
each dataset layout with mmseg's runner; mIoU through IoUMetric."""
import pytest

from .common import train_and_test_config

CONFIGS = {
    'ade20k':
    'mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py',
    'cityscapes':
    'mask2former/mask2former_r50_8xb2-90k_cityscapes-512x1024.py',
    'pascal_context':
    'mask2former/mask2former_r50_8xb2-40k_pascal-context-59-480x480.py',
}

#: The Swin-T twins (the R50 configs with the Swin-T base; equal to mmseg's own
#: Swin-T recipes, checked below; the PASCAL-Context one is in
#: test_mask2former_swin.py).
RUNS = sorted(CONFIGS.items()) + [
    ('ade20k', 'mask2former/mask2former_swin-t_8xb2-160k_ade20k-512x512.py'),
    ('cityscapes',
     'mask2former/mask2former_swin-t_8xb2-90k_cityscapes-512x1024.py'),
]


@pytest.mark.parametrize('layout,config', RUNS)
def test_mask2former_train_then_test(synthetic_roots, tmp_path, layout,
                                     config):
    validation, test, _ = train_and_test_config(layout,
                                                synthetic_roots[layout],
                                                config, tmp_path)
    assert 0.0 <= test['mIoU'] <= 100.0
    assert test['mIoU'] == pytest.approx(validation['mIoU'], abs=1e-6)


@pytest.mark.parametrize('name', [
    'mask2former_swin-t_8xb2-160k_ade20k-512x512.py',
    'mask2former_swin-t_8xb2-90k_cityscapes-512x1024.py'
])
def test_swin_t_configs_are_mmsegs_recipes(name):
    """Our Swin-T configs (the R50 ones + the Swin-T base) build what mmseg's
    own Swin-T recipes build, but for our float32-loss head classes and
    our hooks."""
    import os.path as osp

    import mmseg
    from mmengine.config import Config

    from .common import CONFIGS
    ours = Config.fromfile(osp.join(CONFIGS, 'mask2former', name))
    stock = Config.fromfile(
        osp.join(
            osp.dirname(mmseg.__file__), '.mim', 'configs', 'mask2former',
            name))
    assert ours.model.decode_head.pop('type') == 'AmpMask2FormerSegHead'
    assert stock.model.decode_head.pop('type') == 'Mask2FormerHead'
    for cfg in (ours, stock):
        cfg.model.decode_head.pixel_decoder.pop('type')
        for key in ('model', 'optim_wrapper', 'train_cfg'):
            cfg[key].pop('_scope_', None)  # set when inherited via mmseg::
    for key in ('model', 'optim_wrapper', 'train_cfg'):
        assert ours[key].to_dict() == stock[key].to_dict(), key
    assert [dict(s, _scope_=None) for s in ours.param_scheduler] == \
        [dict(s, _scope_=None) for s in stock.param_scheduler]
