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

#: mmseg's own Swin-T recipes (the PASCAL-Context one is in
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
