"""Mask2Former Swin-T configs (the R50 configs with the Swin-T backbone base)
train and test on generated data: mIoU through mmseg's runner, PQ through
mmdet's."""
import pytest
import torch

from .common import last_checkpoint, train_and_test_config

CONFIGS = {
    'pascal_context':
    'mask2former/mask2former_swin-t_8xb2-40k_pascal-context-59-480x480.py',
    'coco_panoptic':
    'mask2former/mask2former_swin-t_8xb2-lsj-50e_coco-panoptic.py',
    'ade20k_panoptic':
    'mask2former/mask2former_swin-t_8xb2-160k_ade20k-panoptic-640x640.py',
    'cityscapes_panoptic':
    'mask2former/mask2former_swin-t_8xb2-90k_cityscapes-panoptic-512x1024.py',
}


@pytest.mark.parametrize('layout', sorted(CONFIGS))
def test_swin_t_trains_and_tests(synthetic_roots, tmp_path, layout):
    validation, test, work_dir = train_and_test_config(layout,
                                                       synthetic_roots[layout],
                                                       CONFIGS[layout],
                                                       tmp_path)
    key = 'mIoU' if layout == 'pascal_context' else 'pq/PQ'
    assert 0.0 <= test[key] <= 100.0
    assert test[key] == pytest.approx(validation[key], abs=1e-6)
    # The trained backbone is Swin-T: four stages of 2, 2, 6, 2 blocks.
    state = torch.load(
        last_checkpoint(work_dir), weights_only=False)['state_dict']
    depth = {}
    for key in state:
        if key.startswith('backbone.stages.') and '.blocks.' in key:
            stage, block = (int(i) for i in key.split('.')[2:5:2])
            depth[stage] = max(depth.get(stage, 0), block + 1)
    assert depth == {0: 2, 1: 2, 2: 6, 3: 2}
