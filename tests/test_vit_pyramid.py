"""One ViT-S backbone + ViTPyramidNeck carries Mask2FormerHead or DEPICTHead;
the two configs differ in ``decode_head`` only, DEPICT's output is the same
as without the neck, and both train and test through mmseg's runner."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from .common import CONFIGS, train_and_test_config

MASK2FORMER = 'mask2former/mask2former_vit-s16-mln_8xb2-160k_ade20k-512x512.py'
DEPICT = 'depict/depict-sa_vit-s16-mln_8xb2-160k_ade20k-512x512.py'
DEPICT_PLAIN = 'depict/depict-sa_vit-s16_8xb1-160k_ade20k-512x512.py'


def _config(name):
    return Config.fromfile(osp.join(CONFIGS, name))


def test_configs_differ_in_decode_head_only():
    m2f, depict = _config(MASK2FORMER).to_dict(), _config(DEPICT).to_dict()
    assert m2f['model'].pop('decode_head')['type'] == 'AmpMask2FormerSegHead'
    assert depict['model'].pop('decode_head')['type'] == 'DEPICTHead'
    assert m2f == depict


def _build(cfg):
    cfg.model.pretrained = None
    cfg.model.backbone.img_size = (64, 64)
    return MODELS.build(cfg.model).eval()


def test_depict_output_is_unchanged_by_the_neck():
    init_default_scope('mmseg')
    torch.manual_seed(0)
    with_neck_cfg, plain_cfg = _config(DEPICT), _config(DEPICT_PLAIN)
    # The plain config follows the DEPICT release's ViT (LayerNorm eps 1e-5,
    # bilinear position embeddings), the -mln family mmseg's (1e-6,
    # bicubic): compare the neck on one network.
    for key in ('norm_cfg', 'interpolate_mode'):
        plain_cfg.model.backbone[key] = with_neck_cfg.model.backbone[key]
    with_neck = _build(with_neck_cfg)
    plain = _build(plain_cfg)
    # Same weights; the plain ViT returns only its last layer.
    missing, unexpected = plain.load_state_dict(
        with_neck.state_dict(), strict=False)
    assert not missing and all(k.startswith('neck.') for k in unexpected)
    img = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        feats = with_neck.extract_feat(img)
        assert len(feats) == 5 and feats[0].shape[-1] == 16  # stride 4
        expected = plain.decode_head(plain.extract_feat(img))
        assert torch.equal(with_neck.decode_head(feats), expected)


@pytest.mark.parametrize('config', [MASK2FORMER, DEPICT])
def test_train_then_test(synthetic_roots, tmp_path, config):
    validation, test, _ = train_and_test_config('ade20k',
                                                synthetic_roots['ade20k'],
                                                config, tmp_path)
    assert test['mIoU'] == pytest.approx(validation['mIoU'], abs=1e-6)
