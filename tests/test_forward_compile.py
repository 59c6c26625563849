"""``--compile``: torch.compile (inductor, CPU) on the forward path, against
the same model run eagerly."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from mmseg_depict.engine import compile_forward, take_compile_option
from mmseg_depict.utils.benchmark import random_samples
from tests.common import (CONFIGS, last_validation, run_tool, small_config,
                          small_depict_segmentor, without_dropout)
from tests.test_train_test_e2e import metrics_of


def test_compiled_depict_equals_eager():
    """Logits, loss and gradients within float32 rounding; same keys."""
    model = without_dropout(
        small_depict_segmentor((48, 48), (32, 32), batch_size=4).float())
    torch.manual_seed(1)
    images = torch.randn(2, 3, 48, 64)
    samples = random_samples(2, (48, 64), 5)
    metas = [s.metainfo for s in samples]

    def run():
        model.eval()
        with torch.no_grad():
            logits = model.encode_decode(images, metas)
        model.train()
        model.zero_grad()
        loss = model.loss(images, samples)['decode.loss_ce']
        loss.backward()
        return logits, loss.detach(), [
            p.grad.clone() for p in model.parameters()
        ]

    keys = list(model.state_dict())
    eager = run()
    compiled, eager_parts = compile_forward(model)
    assert compiled == ['backbone', 'decode_head'] and not eager_parts
    assert list(model.state_dict()) == keys
    result = run()
    assert (result[0] - eager[0]).abs().max() <= 1e-4
    assert abs(result[1] - eager[1]) <= 1e-4
    for g_compiled, g_eager in zip(result[2], eager[2]):
        assert (g_compiled -
                g_eager).abs().max() <= 1e-4 * (1 + g_eager.abs().max())


def test_mask2former_keeps_its_head_eager():
    """mmcv's deformable attention (a custom autograd Function) stays
    eager: the backbone is compiled, the head is named with the reason."""
    cfg = Config.fromfile(
        osp.join(CONFIGS, 'mask2former',
                 'mask2former_r50_8xb2-160k_ade20k-512x512.py'))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    compiled, eager = compile_forward(model)
    assert compiled == ['backbone']
    assert 'MultiScaleDeformableAttention' in eager['decode_head']


@pytest.mark.parametrize(
    'option, expected',
    [(False, None), (True, {}),
     (dict(mode='max-autotune'), dict(mode='max-autotune'))])
def test_config_compile_key_is_taken_over(option, expected):
    """mmengine's ``compile`` key would compile train_step with the
    optimizer (a dynamo error in torch 2.13); ours takes it over."""
    cfg = Config(dict(compile=option))
    assert take_compile_option(cfg, flag=False) == expected
    assert cfg.compile is False
    assert take_compile_option(Config(dict()), flag=True) == {}


def test_train_and_test_tools_with_compile(synthetic_roots, tmp_path):
    """tools/train.py --compile trains, tools/test.py --compile tests (both
    through mmengine's Runner, options from the config's ``compile`` dict),
    and the compiled test scores the checkpoint as the eager test does.

    Here dynamo traces the real graphs but hands them to the ``aot_eager``
    backend: inductor's code generation for this head and backbone is
    checked above (~25 s per graph on two cores); in the tools' forked
    children its compile-worker pool would also have to start from a fork.
    """
    config = small_config(
        'ade20k', synthetic_roots['ade20k'], str(tmp_path), max_iters=2)
    work = str(tmp_path / 'work')
    backend = ['--cfg-options', 'compile.backend=aot_eager']
    proc = run_tool(
        ['tools/train.py', config, '--work-dir', work, '--compile'] + backend)
    assert '--compile: torch.compile on backbone, decode_head' in (
        proc.stdout + proc.stderr)
    trained_miou = last_validation(work)['mIoU']
    checkpoint = osp.join(work, 'iter_2.pth')
    scores = []
    for extra in ([], ['--compile'] + backend):
        test_dir = str(tmp_path / f'test{len(extra)}')
        run_tool(
            ['tools/test.py', config, checkpoint, '--work-dir', test_dir] +
            extra)
        scores.append(metrics_of(test_dir)['mIoU'])
    assert scores[0] == pytest.approx(trained_miou, abs=1e-6)
    assert scores[1] == pytest.approx(scores[0], abs=1e-6)
