"""tools/model_converters/detr2mmdet.py: a randomly initialised model in the
DETR authors' panoptic layout (tests/detr_reference.py, written from the
spec), saved, converted and loaded into our config's model, gives the same
class logits, boxes and mask logits."""
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from mmseg_depict.converters import (UnknownCheckpointLayout,
                                     convert_detr_panoptic)
from mmseg_depict.fileio import safe_torch_load
from .common import CONFIGS, run_tool
from .detr_reference import DETRPanopticReference

CONFIG = 'detr_panoptic/detr-panoptic_r50_8xb2-150e_coco-panoptic.py'


def _randomise_batch_norms(model):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.1, 0.1)
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)


def test_converted_model_reproduces_source(tmp_path):
    torch.manual_seed(0)
    source = DETRPanopticReference(num_classes=134).eval()
    _randomise_batch_norms(source)
    src, dst = str(tmp_path / 'detr.pth'), str(tmp_path / 'converted.pth')
    torch.save(dict(model=source.state_dict()), src)
    proc = run_tool(['tools/model_converters/detr2mmdet.py', src, dst])
    assert 'ResNet-50' in proc.stdout and '100 queries' in proc.stdout
    dataset_meta = safe_torch_load(dst)['meta']['dataset_meta']
    assert dataset_meta['classes'][0] == 'person'  # COCO panoptic, 133
    assert len(dataset_meta['thing_classes']) == 80

    init_default_scope('mmdet')
    cfg = Config.fromfile(osp.join(CONFIGS, CONFIG))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model).eval()
    load_checkpoint(model, dst, map_location='cpu', strict=True)

    img = torch.randn(1, 3, 64, 96)
    sample = DetDataSample(
        metainfo=dict(
            img_shape=(64, 96), batch_input_shape=(64, 96), ori_shape=(64,
                                                                       96)))
    with torch.no_grad():
        logits, boxes, masks = source(img)
        inputs = model.forward_transformer(model.extract_feat(img), [sample])
        cls_scores, bbox_preds = model.bbox_head(inputs['hidden_states'])
        q = logits.shape[1]
        ours = model.bbox_head.mask_logits(inputs['hidden_states'][-1],
                                           inputs['mask_features'],
                                           torch.zeros(q, dtype=torch.long),
                                           torch.arange(q))
    assert (cls_scores[-1] - logits).abs().max() <= 1e-4
    assert (bbox_preds[-1] - boxes).abs().max() <= 1e-4
    assert ours.shape == masks[0].shape == (q, 16, 24)
    assert (ours - masks[0]).abs().max() <= 1e-4


def test_unknown_layout_is_refused():
    state = DETRPanopticReference().state_dict()
    state['detr.extra_head.weight'] = torch.zeros(1)
    with pytest.raises(UnknownCheckpointLayout, match='detr.extra_head'):
        convert_detr_panoptic(state)
    box_only = {
        k: v
        for k, v in DETRPanopticReference().state_dict().items()
        if k.startswith('detr.')
    }
    with pytest.raises(UnknownCheckpointLayout, match='mask_head'):
        convert_detr_panoptic(box_only)
