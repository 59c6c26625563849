"""DETR panoptic through mmdet's runner on generated panoptic data: joint
training + PQ on the three panoptic layouts, and the two-stage recipe (box
model, then masks only) through the tools."""
import glob
import os.path as osp

import pytest
import torch

from .common import (CONFIGS, ONE_STEP, last_validation,
                     load_unformatted_config, run_tool, small_config,
                     train_and_test_in_process)

JOINT = {
    'coco_panoptic': 'detr-panoptic_r50_8xb2-150e_coco-panoptic.py',
    'ade20k_panoptic': 'detr-panoptic_r50_8xb2-150e_ade20k-panoptic.py',
    'cityscapes_panoptic':
    'detr-panoptic_r50_8xb2-150e_cityscapes-panoptic.py',
}


def _small(layout, data_root, config, tmp_path, **overrides):
    tmp_path.mkdir(exist_ok=True)
    return small_config(
        layout,
        data_root,
        str(tmp_path),
        config='detr_panoptic/' + config,
        **overrides)


@pytest.mark.parametrize('layout', sorted(JOINT))
def test_joint_train_then_test_pq(synthetic_roots, tmp_path, layout):
    config = _small(layout, synthetic_roots[layout], JOINT[layout], tmp_path,
                    **ONE_STEP)
    validation, test = train_and_test_in_process(config,
                                                 str(tmp_path / 'work'))
    assert 0.0 <= test['pq/PQ'] <= 100.0
    assert test['pq/PQ'] == pytest.approx(validation['pq/PQ'], abs=1e-6)


def test_two_stage_recipe(synthetic_roots, tmp_path):
    """Stage 1 trains boxes only (box AP); stage 2 loads it through
    ``load_from`` and changes nothing but the attention map and mask
    head."""
    root = synthetic_roots['coco_panoptic']
    box_dir, mask_dir = str(tmp_path / 'box'), str(tmp_path / 'mask')
    config = _small('coco_panoptic', root,
                    'detr-box_r50_8xb2-150e_coco-panoptic.py',
                    tmp_path / 'box_config')
    run_tool(['tools/train.py', config, '--work-dir', box_dir])
    assert 'coco/bbox_mAP' in last_validation(box_dir)
    box_ckpt = osp.join(box_dir, 'epoch_1.pth')
    config = _small('coco_panoptic', root,
                    'detr-panoptic-mask_r50_8xb2-25e_coco-panoptic.py',
                    tmp_path / 'mask_config')
    run_tool([
        'tools/train.py', config, '--work-dir', mask_dir, '--cfg-options',
        f'load_from={box_ckpt}'
    ])
    before = torch.load(box_ckpt, weights_only=False)['state_dict']
    after = torch.load(
        osp.join(mask_dir, 'epoch_1.pth'), weights_only=False)['state_dict']
    trained = ('bbox_head.attention_map.', 'bbox_head.mask_head.')
    assert not any(k.startswith(trained) for k in before)
    assert any(k.startswith(trained) for k in after)
    for key, value in before.items():
        assert torch.equal(after[key], value), f'{key} changed in stage 2'
    assert 'pq/PQ' in last_validation(mask_dir)


#: The remaining DETR configs (R101; box and mask stages of ADE20K and
#: Cityscapes): each trains one epoch and is tested in-process.
OTHER_CONFIGS = sorted(
    osp.basename(p)
    for p in glob.glob(osp.join(CONFIGS, 'detr_panoptic', '*.py'))
    if osp.basename(p) not in JOINT.values()
    and osp.basename(p) != 'detr-box_r50_8xb2-150e_coco-panoptic.py'
    and osp.basename(p) != 'detr-panoptic-mask_r50_8xb2-25e_coco-panoptic.py')


def _layout_of(config: str) -> str:
    return next(
        layout for layout in JOINT
        if config.endswith(layout.replace('_', '-') + '.py'))


@pytest.mark.parametrize('config', OTHER_CONFIGS)
def test_every_config_trains_and_tests(synthetic_roots, tmp_path, config):
    layout = _layout_of(config)
    small = load_unformatted_config(
        _small(layout, synthetic_roots[layout], config, tmp_path, **ONE_STEP))
    small.load_from = None  # the stage-1 checkpoint is tested above
    path = str(tmp_path / 'run_config.py')
    small.dump(path)
    validation, test = train_and_test_in_process(path, str(tmp_path / 'work'))
    key = 'coco/bbox_mAP' if config.startswith('detr-box') else 'pq/PQ'
    assert key in test and test[key] == pytest.approx(
        validation[key], abs=1e-6)
