"""Every config in configs/ builds its model on CPU (pretrained weights off)
and runs one forward pass at a small size."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.structures import DetDataSample
from mmengine.registry import DefaultScope, init_default_scope

from mmseg_depict.engine import config_scope
from .conftest import CONFIGS

ALL_CONFIGS = sorted(
    osp.relpath(p, CONFIGS)
    for p in glob.glob(osp.join(CONFIGS, '**', '*.py'), recursive=True)
    if '_base_' not in p)


def test_config_folder_is_not_empty():
    assert len([c for c in ALL_CONFIGS if c.startswith('depict/')]) == 25


@pytest.mark.parametrize('name', ALL_CONFIGS)
def test_config_builds_and_runs_forward(name):
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    scope = config_scope(cfg)
    init_default_scope(scope)
    registry = __import__(f'{scope}.registry', fromlist=['MODELS']).MODELS
    model_cfg = cfg.model
    # No pretrained weights: nothing may be downloaded or read from disk.
    if 'pretrained' in model_cfg:
        model_cfg.pretrained = None
    model_cfg.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope(scope):
        model = registry.build(model_cfg).eval()
    img = torch.randn(1, 3, 64, 96)
    if scope == 'mmseg':
        with torch.no_grad():
            logits = model.predict(img)[0].seg_logits.data
        assert logits.shape == (cfg.model.decode_head.num_classes, 64, 96)
        assert torch.isfinite(logits).all()
    else:  # mmdet detectors: panoptic maps (or boxes for box-only DETR)
        sample = DetDataSample(metainfo=dict(
            img_shape=(64, 96), ori_shape=(64, 96), batch_input_shape=(64, 96),
            scale_factor=(1.0, 1.0)))
        with torch.no_grad():
            result, = model.predict(img, [sample])
        if 'pred_panoptic_seg' in result:
            panoptic = result.pred_panoptic_seg.sem_seg
            assert panoptic.shape == (1, 64, 96)
            head = cfg.model.get('panoptic_head') or cfg.model.bbox_head
            num_classes = head.num_things_classes + head.num_stuff_classes
            labels = panoptic % INSTANCE_OFFSET  # num_classes = VOID
            assert ((labels >= 0) & (labels <= num_classes)).all()
        else:
            assert result.pred_instances.bboxes.shape[-1] == 4
