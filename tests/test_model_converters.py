"""Official DEPICT / Segmenter and timm ViT checkpoints convert into our
configs and reproduce the source model's logits in float64 (<= 1e-9), at
the training size and at another input size."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmseg.registry import MODELS

from mmseg_depict.fileio import safe_torch_load
from .common import CONFIGS, run_tool
from .segmenter_reference import Segmenter

init_default_scope('mmseg')
D, DEPTH, HEADS, K = 192, 2, 3, 150
# The release stores position embeddings for its training crop (the model is
# built at image_size = crop), so the config's img_size is that crop.
IMG = 64
SOURCE_GRID = IMG // 16
#: The training size and another one: position embeddings are resized at run
#: time (bilinear in the release and in our configs).
TEST_SIZES = [(IMG, IMG), (48, 80)]


def source_checkpoint(path, mode, distilled=False):
    torch.manual_seed(0)
    source = Segmenter(mode, D, DEPTH, HEADS, K, SOURCE_GRID, distilled).eval()
    optim = torch.optim.SGD(source.parameters(), lr=0.1, momentum=0.9)
    torch.save(
        dict(
            model=source.state_dict(),
            optimizer=optim.state_dict(),
            epoch=7,
            n_cls=K), path)
    return source


def our_model(mode, distilled=False):
    cfg = Config.fromfile(
        f'{CONFIGS}/depict/depict-{mode}_vit-t16_8xb1-160k_ade20k-512x512.py')
    cfg.model.pretrained = None
    cfg.model.backbone.update(num_layers=DEPTH, img_size=(IMG, IMG))
    if distilled:
        cfg.model.backbone.type = 'DistilledVisionTransformer'
    return MODELS.build(cfg.model).eval()


@pytest.mark.parametrize('mode,distilled', [('sa', False), ('ca', False),
                                            ('sa', True)])
def test_depict_checkpoint_reproduces_source_logits(tmp_path, mode, distilled):
    src, dst = str(tmp_path / 'source.pth'), str(tmp_path / 'ours.pth')
    source = source_checkpoint(src, mode, distilled)
    proc = run_tool(['tools/model_converters/depict2mmseg.py', src, dst])
    assert f'DEPICT-{mode.upper()}' in proc.stdout
    grid = f'{SOURCE_GRID}x{SOURCE_GRID}'
    assert f'pos_embed grid {grid} (as stored)' in proc.stdout
    # 150 classes: ADE20K's names and palette, for the inferencers.
    dataset_meta = safe_torch_load(dst)['meta']['dataset_meta']
    assert dataset_meta['classes'][:2] == ['wall', 'building']
    assert len(dataset_meta['palette']) == K
    model = our_model(mode, distilled)
    load_checkpoint(model, dst, strict=True)
    model.double()
    source.double()
    for h, w in TEST_SIZES:
        img = torch.randn(2, 3, h, w, dtype=torch.float64)
        with torch.no_grad():
            ours = model(img, mode='tensor')
            expected = source(img)
        assert ours.shape == (2, K, h // 16, w // 16)
        assert (ours - expected).abs().max().item() <= 1e-9, (h, w)


def test_unknown_layout_is_refused(tmp_path):
    src = str(tmp_path / 'other.pth')
    torch.save(
        {
            'model': {
                'encoder.cls_token': torch.zeros(1, 1, 8),
                'decoder.blocks.0.weight': torch.zeros(2)
            }
        }, src)
    proc = run_tool([
        'tools/model_converters/depict2mmseg.py', src,
        str(tmp_path / 'x.pth')
    ],
                    check=False)
    assert proc.returncode != 0
    assert 'unknown DEPICT decoder layout' in proc.stderr
    assert 'decoder.blocks' in proc.stderr
    assert not osp.exists(tmp_path / 'x.pth')


def test_timm_vit_backbone_reproduces_source_tokens(tmp_path):
    torch.manual_seed(1)
    source = Segmenter('sa', D, DEPTH, HEADS, K, SOURCE_GRID).encoder.eval()
    src, dst = str(tmp_path / 'timm.pth'), str(tmp_path / 'vit.pth')
    torch.save(source.state_dict(), src)
    run_tool([
        'tools/model_converters/timm_vit2mmseg.py', src, dst, '--img-size',
        str(IMG),
        str(IMG)
    ])
    cfg = Config.fromfile(
        f'{CONFIGS}/depict/depict-sa_vit-t16_8xb1-160k_ade20k-512x512.py')
    cfg.model.pretrained = dst  # loaded through the backbone's init_weights
    cfg.model.backbone.update(num_layers=DEPTH, img_size=(IMG, IMG))
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.eval()
    model.double()
    source.double()
    for h, w in TEST_SIZES:
        img = torch.randn(1, 3, h, w, dtype=torch.float64)
        with torch.no_grad():
            tokens = model.extract_feat(img)[-1].flatten(2).transpose(1, 2)
            expected = source(img)
        assert (tokens - expected).abs().max().item() <= 1e-9, (h, w)
