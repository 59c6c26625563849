"""Every config in configs/ builds its model on CPU (pretrained weights off)
and runs one forward pass at a small size."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope, init_default_scope

from mmseg_depict.apis import config_scope
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
    else:  # Mask2Former: per-layer class and mask logits of the queries
        with torch.no_grad():
            out = model(img, mode='tensor')
        cls_scores, mask_preds = out
        head = cfg.model.panoptic_head
        num_classes = head.num_things_classes + head.num_stuff_classes
        assert cls_scores[-1].shape == (1, head.num_queries, num_classes + 1)
        assert mask_preds[-1].shape[:2] == (1, head.num_queries)
