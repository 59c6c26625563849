"""DETR panoptic through mmdet's runner on generated panoptic data: joint
training + PQ, and the two-stage recipe (box model, then masks only)."""
import glob
import json
import os.path as osp

import pytest
import torch

from .conftest import run_tool, small_config
from .test_train_test_e2e import metrics_of, val_metric_during_training

JOINT = {
    'coco_panoptic': 'detr-panoptic_r50_8xb2-150e_coco-panoptic.py',
    'ade20k_panoptic': 'detr-panoptic_r50_8xb2-150e_ade20k-panoptic.py',
    'cityscapes_panoptic':
    'detr-panoptic_r50_8xb2-150e_cityscapes-panoptic.py',
}


def _train(layout, data_root, config, tmp_path, *extra):
    tmp_path.mkdir(exist_ok=True)
    config = small_config(layout, data_root, str(tmp_path),
                          config='detr_panoptic/' + config)
    work_dir = str(tmp_path / 'work')
    run_tool(['tools/train.py', config, '--work-dir', work_dir, *extra])
    return config, work_dir


@pytest.mark.parametrize('layout', sorted(JOINT))
def test_joint_train_then_test_pq(synthetic_roots, tmp_path, layout):
    config, work_dir = _train(layout, synthetic_roots[layout], JOINT[layout],
                              tmp_path)
    test_dir = str(tmp_path / 'test')
    run_tool(['tools/test.py', config, osp.join(work_dir, 'epoch_1.pth'),
              '--work-dir', test_dir])
    metrics = metrics_of(test_dir)
    assert 0.0 <= metrics['pq/PQ'] <= 100.0
    assert metrics['pq/PQ'] == pytest.approx(
        val_metric_during_training(work_dir, 'pq/PQ'), abs=1e-6)


def test_two_stage_recipe(synthetic_roots, tmp_path):
    """Stage 1 trains boxes only (box AP); stage 2 loads it through
    ``load_from`` and changes nothing but the attention map and mask
    head."""
    root = synthetic_roots['coco_panoptic']
    _, box_dir = _train('coco_panoptic', root,
                        'detr-box_r50_8xb2-150e_coco-panoptic.py',
                        tmp_path / 'box')
    assert 'coco/bbox_mAP' in metrics_of_training(box_dir)
    box_ckpt = osp.join(box_dir, 'epoch_1.pth')
    _, mask_dir = _train('coco_panoptic', root,
                         'detr-panoptic-mask_r50_8xb2-25e_coco-panoptic.py',
                         tmp_path / 'mask', '--cfg-options',
                         f'load_from={box_ckpt}')
    before = torch.load(box_ckpt, weights_only=False)['state_dict']
    after = torch.load(osp.join(mask_dir, 'epoch_1.pth'),
                       weights_only=False)['state_dict']
    trained = ('bbox_head.attention_map.', 'bbox_head.mask_head.')
    assert not any(k.startswith(trained) for k in before)
    changed = {k for k in after if k.startswith(trained)}
    assert changed
    for key, value in before.items():
        assert torch.equal(after[key], value), f'{key} changed in stage 2'
    assert 'pq/PQ' in metrics_of_training(mask_dir)


def metrics_of_training(work_dir: str) -> dict:
    """The last validation record of a training run."""
    scalars, = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(scalars) as f:
        records = [json.loads(line) for line in f]
    return [r for r in records if any('/' in k for k in r)][-1]
