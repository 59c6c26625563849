"""Per-image evaluation of a trained model: tools/test.py's numbers, a
subset, corrupted images, and a cache that gives back what it stored."""
import glob
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.runner import Runner

from mmseg_depict.apis.decoder_parameter_noise import decoder_noise_curve
from mmseg_depict.apis.per_image_evaluation import (PerImageEvaluator,
                                                    evaluate_per_image)
from mmseg_depict.evaluation.metrics import per_image_areas
from mmseg_depict.evaluation.paired_bootstrap import miou_from_areas
from .common import (ONE_STEP, last_checkpoint, run_tool, small_config,
                     train_and_test_in_process)


def test_clean_subset_corrupted_and_cached(trained, tmp_path):
    config, work_dir = trained['ade20k']
    checkpoint = last_checkpoint(work_dir)
    proc = run_tool([
        'tools/test.py', config, checkpoint, '--work-dir',
        str(tmp_path / 'test')
    ])
    assert proc.returncode == 0
    metrics_file, = glob.glob(osp.join(tmp_path, 'test', '*', '*.json'))
    with open(metrics_file) as f:
        stock = json.load(f)
    cache = str(tmp_path / 'cache' / 'clean.npz')
    clean = evaluate_per_image(
        config, checkpoint, keep_predictions=True, cache=cache)
    for key in ('aAcc', 'mIoU', 'mAcc'):
        assert clean['metrics'][key] == stock[key]
    n = len(clean['img_paths'])
    assert clean['confusion'].shape[0] == n == len(clean['pred'])
    assert 100 * miou_from_areas(
        *per_image_areas(clean['confusion']).sum(0)) == pytest.approx(
            stock['mIoU'], abs=0.005)

    again = evaluate_per_image('missing.py', 'missing.pth', cache=cache)
    assert again['metrics'] == clean['metrics']
    assert again['img_paths'] == clean['img_paths']
    for a, b in zip(again['pred'], clean['pred']):
        np.testing.assert_array_equal(a, b)

    first = evaluate_per_image(config, checkpoint, indices=[1])
    assert first['img_paths'] == clean['img_paths'][1:2]
    np.testing.assert_array_equal(first['confusion'][0], clean['confusion'][1])
    noisy = dict(corruption='gaussian_noise', severity=5, seed=0)
    corrupted = evaluate_per_image(config, checkpoint, corruption=noisy)
    assert corrupted['img_paths'] == clean['img_paths']
    assert not np.array_equal(corrupted['confusion'], clean['confusion'])
    repeated = evaluate_per_image(config, checkpoint, corruption=noisy)
    np.testing.assert_array_equal(repeated['confusion'],
                                  corrupted['confusion'])


def test_one_evaluator_builds_the_model_once_for_every_condition(
        trained, monkeypatch):
    config, work_dir = trained['ade20k']
    checkpoint = last_checkpoint(work_dir)
    noisy = dict(corruption='gaussian_noise', severity=5, seed=0)
    separate = [
        evaluate_per_image(config, checkpoint),
        evaluate_per_image(config, checkpoint, corruption=noisy, indices=[0]),
    ]
    builds = []
    from_cfg = Runner.from_cfg.__func__
    monkeypatch.setattr(
        Runner, 'from_cfg',
        classmethod(lambda cls, cfg: builds.append(cfg) or from_cfg(cls, cfg)))
    with PerImageEvaluator(config, checkpoint) as evaluator:
        shared = [
            evaluator.evaluate(),
            evaluator.evaluate(corruption=noisy, indices=[0]),
        ]
        # A noise curve on the same model leaves its decoder as it was.
        decoder_noise_curve(
            config,
            checkpoint, [1.0],
            draws=1,
            split='test',
            progress=lambda _: None,
            evaluator=evaluator)
        shared.append(evaluator.evaluate())
    assert len(builds) == 1
    for a, b in zip(separate + separate[:1], shared):
        assert a['img_paths'] == b['img_paths']
        np.testing.assert_array_equal(a['confusion'], b['confusion'])
        np.testing.assert_array_equal(a['boundary'], b['boundary'])


def test_folded_batch_norms_and_no_workers_give_the_same_numbers(
        synthetic_roots, tmp_path):
    """``fuse_conv_bn`` folds the backbone's BatchNorms (EfficientNet-Lite:
    every conv has one) and leaves the decode head's; the predictions stay
    those of the model as trained, up to float rounding. ``num_workers=0``
    changes where images are loaded, not what is scored."""
    config = small_config(
        'camvid',
        synthetic_roots['camvid'],
        str(tmp_path),
        config='camvid/fcn_efficientnet-lite0_1xb8-1k_camvid-256x256.py',
        **ONE_STEP)
    work_dir = str(tmp_path / 'work')
    train_and_test_in_process(config, work_dir)
    checkpoint = last_checkpoint(work_dir)
    with PerImageEvaluator(config, checkpoint, 'val') as stock:
        reference = stock.evaluate(keep_predictions=True)
    with PerImageEvaluator(
            config, checkpoint, 'val', num_workers=0,
            fuse_conv_bn=True) as folded:
        result = folded.evaluate(keep_predictions=True)
        model = folded.runner.model
        loader = folded.dataloader()
        assert loader.num_workers == 0
    backbone_norms = [
        m for m in model.backbone.modules()
        if isinstance(m, torch.nn.BatchNorm2d)
    ]
    head_norms = [
        m for m in model.decode_head.modules()
        if isinstance(m, torch.nn.BatchNorm2d)
    ]
    assert not backbone_norms and head_norms
    differing = sum(
        int((a != b).sum()) for a, b in zip(reference['pred'], result['pred']))
    pixels = sum(p.size for p in reference['pred'])
    assert differing <= pixels * 1e-3
    for key in ('aAcc', 'mIoU', 'mAcc'):
        assert result['metrics'][key] == pytest.approx(
            reference['metrics'][key], abs=0.1)
