"""Mask2Former (mmdet's head through mmseg's wrapper) trains and tests on
each dataset layout with mmseg's runner; mIoU through IoUMetric."""
import os.path as osp

import pytest

from .conftest import run_tool, small_config
from .test_train_test_e2e import metrics_of, val_metric_during_training

CONFIGS = {
    'ade20k': 'mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py',
    'cityscapes': 'mask2former/mask2former_r50_8xb2-90k_cityscapes-512x1024.py',
    'pascal_context':
    'mask2former/mask2former_r50_8xb2-40k_pascal-context-59-480x480.py',
}


@pytest.mark.parametrize('layout', sorted(CONFIGS))
def test_mask2former_train_then_test(synthetic_roots, tmp_path, layout):
    config = small_config(layout, synthetic_roots[layout], str(tmp_path),
                          config=CONFIGS[layout])
    work_dir = str(tmp_path / 'work')
    run_tool(['tools/train.py', config, '--work-dir', work_dir])
    test_dir = str(tmp_path / 'test')
    run_tool(['tools/test.py', config, osp.join(work_dir, 'iter_2.pth'),
              '--work-dir', test_dir])
    metrics = metrics_of(test_dir)
    assert 0.0 <= metrics['mIoU'] <= 100.0
    assert metrics['mIoU'] == pytest.approx(
        val_metric_during_training(work_dir), abs=1e-6)
