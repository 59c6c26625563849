"""FLOP counting (mmengine's analyzer + fused attention) against a hand
count, and the get_flops tool on a config."""
import importlib.util
import json
import os.path as osp
import re

import pytest
import torch

from mmseg_depict.apis.model_cost import added_peak_rss_mib
from mmseg_depict.models import DEPICTHead
from mmseg_depict.utils import count_multiply_adds
from .common import ROOT, run_tool, small_config


def load_tool(name):
    path = osp.join(ROOT, 'tools', 'analysis_tools', f'{name}.py')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('mode', ['sa', 'ca'])
def test_flop_count_matches_hand_count(mode):
    bench = load_tool('benchmark_heads')
    head = DEPICTHead(in_channels=192, num_classes=150, mode=mode).eval()
    feat = torch.randn(1, 192, 12, 16)
    counted = count_multiply_adds(head, ([feat], ))
    hand = bench.depict_hand_count(mode, 192, 12 * 16, 150)
    # The hand count covers the matmuls; the analyzer adds the LayerNorms.
    assert hand <= counted <= 1.01 * hand


def test_plain_formulas_variant_is_the_same_function():
    bench = load_tool('benchmark_heads')
    head = DEPICTHead(in_channels=64, num_classes=9, mode='sa').eval()
    head.cls_emb.data.normal_()
    feat = torch.randn(2, 64, 3, 5)
    with torch.no_grad():
        torch.testing.assert_close(
            bench.plain_formulas(head)([feat]),
            head([feat]),
            rtol=0,
            atol=1e-5)


def test_get_flops_reports_depict_decoder_as_in_the_paper():
    proc = run_tool([
        'tools/analysis_tools/get_flops.py',
        'configs/depict/depict-sa_vit-s16_8xb1-160k_ade20k-512x512.py'
    ])
    row = re.search(r'\| decode head \| ([\d.]+) \| ([\d.]+) \|', proc.stdout)
    params, gflops = float(row.group(1)), float(row.group(2))
    assert params == pytest.approx(0.407, abs=1e-3)
    # DEPICT paper: ViT-S decoder ~6.7 GFLOPs at 512x512.
    assert gflops == pytest.approx(6.7, abs=0.1)
    assert re.search(r'\| model \| 2[12]\.\d+ \|', proc.stdout)


def test_compare_heads_measures_the_configs_given(tmp_path):
    """compare_heads.py --configs: one row per config, its parameter count
    that of the model the config builds, times measured."""
    from mmengine.config import Config
    from mmseg.registry import MODELS
    configs = [
        f'configs/camvid/{head}_efficientnet-lite0_1xb8-1k_camvid-256x256.py'
        for head in ('fcn', 'depict-sa')
    ]
    out = str(tmp_path / 'rows.json')
    proc = run_tool([
        'tools/analysis_tools/compare_heads.py', '--configs', *configs,
        '--shape', '64', '96', '--repeats', '1', '--warmup', '0', '--out', out
    ])
    assert '| fcn | EfficientNetLite |' in proc.stdout
    with open(out) as f:
        rows = json.load(f)['rows']
    assert [r['head'] for r in rows] == ['fcn', 'depict-sa']
    for row, config in zip(rows, configs):
        model = MODELS.build(Config.fromfile(osp.join(ROOT, config)).model)
        total = sum(p.numel() for p in model.parameters()) / 1e6
        assert row['params_m'] == pytest.approx(total, rel=1e-9)
        assert row['latency_ms'] > 0 and row['train_step_ms'] > 0
        assert 0 < row['head_gflops'] < row['gflops']
        assert row['train_peak_mib'] > 0


def test_added_peak_memory_of_a_step():
    """A step that touches 256 MiB adds about that much, also after this
    process has run multi-threaded torch work (a forked measurement hung
    there); one that allocates nothing adds next to nothing."""
    torch.mm(torch.rand(512, 512), torch.rand(512, 512))  # OpenMP's pool

    def allocate():
        block = torch.ones(64 * 2**20)  # 256 MiB of float32, written
        del block

    assert 250 < added_peak_rss_mib(allocate) < 300
    assert added_peak_rss_mib(lambda: None) < 10


def test_overfit_probe_fits_two_images_and_shows_a_starved_branch(
        synthetic_roots, tmp_path):
    """The probe drives a CamVid config's loss down on two generated
    photographs; with the gradients clipped to a norm far below AdamW's eps
    (starved, as DETR-seg's mask branch was) the same run stays far above."""
    config = small_config(
        'camvid',
        synthetic_roots['camvid'],
        str(tmp_path),
        config='camvid/depict-sa_efficientnet-lite0_1xb8-1k_camvid-256x256.py')
    args = [
        'tools/analysis_tools/overfit_probe.py', config, '--steps', '30',
        '--interval', '10', '--scale', '0.5', '--cfg-options',
        # At 0.01 the loss oscillates, and whether the last steps' mean fell
        # below half depended on the CPU's rounding (AMD yes, Xeon no).
        'optim_wrapper.optimizer.lr=0.003'
    ]
    learned = run_tool(args).stdout
    assert 'step 10: loss=' in learned and 'decode.loss_ce=' in learned
    assert '2 images at 32x32, 30 steps' in learned  # 64x64 crops, halved
    pattern = r'loss ([\d.]+) at step 1 -> ([\d.]+) \(mean of the last 10'
    first, last = map(float, re.search(pattern, learned).groups())
    assert last < 0.5 * first
    starved = run_tool(args + ['optim_wrapper.clip_grad.max_norm=1e-9'])
    first_c, last_c = map(float, re.search(pattern, starved.stdout).groups())
    assert first_c == first  # the same crops and initial weights
    assert last < 0.5 * last_c
    proc = run_tool(
        ['tools/analysis_tools/overfit_probe.py', config, '--images', '99'],
        check=False)
    assert proc.returncode == 1
    assert '--images 99: the training set has only 4' in proc.stderr
