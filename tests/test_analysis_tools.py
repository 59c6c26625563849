"""FLOP counting (mmengine's analyzer + fused attention) against a hand
count, and the get_flops tool on a config."""
import importlib.util
import os.path as osp
import re

import pytest
import torch

from mmseg_depict.models import DEPICTHead
from mmseg_depict.utils import count_multiply_adds
from .common import ROOT, run_tool


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
