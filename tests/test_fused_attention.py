"""Fused attention (``F.scaled_dot_product_attention``) vs the stock modules.

The references are the upstream modules themselves: mmcv 2.1.0's
``MultiheadAttention`` and mmseg 1.2.2's ``VisionTransformer``, compared in
float64 on the same weights (outputs and gradients).
"""
import copy
import glob
import os.path as osp
from unittest import mock

import pytest
import torch
import torch.nn.functional as F
from mmcv.cnn.bricks.transformer import MultiheadAttention
from mmseg.models.backbones import VisionTransformer
from mmseg.registry import MODELS

from mmseg_depict.models import (DistilledVisionTransformer,
                                 FusedMultiheadAttention,
                                 FusedVisionTransformer,
                                 fuse_multihead_attention)
from tests.common import CONFIGS, load_unformatted_config, without_dropout

TOL = 1e-10


def _count_sdpa_calls(fn):
    """How many times ``fn()`` reaches ``F.scaled_dot_product_attention``."""
    real = F.scaled_dot_product_attention
    with mock.patch.object(
            F, 'scaled_dot_product_attention', side_effect=real) as spy:
        fn()
    return spy.call_count


def _fused_copy(stock):
    fused = copy.deepcopy(stock)
    assert fuse_multihead_attention(fused) >= 1
    return fused


def _assert_same_output_and_grads(stock, fused, make_inputs, call):
    """Forward + backward of both on equal inputs (train mode, dropout off);
    compare everything."""
    outputs, grads = [], []
    for module in (without_dropout(stock), without_dropout(fused)):
        torch.manual_seed(0)
        inputs = make_inputs()
        out = call(module, inputs)
        out = torch.cat([o.flatten()
                         for o in out]) if isinstance(out,
                                                      (tuple, list)) else out
        (out * torch.linspace(-1, 1, out.numel(),
                              dtype=out.dtype).view_as(out)).sum().backward()
        outputs.append(out.detach())
        grads.append([t.grad for t in inputs if t.requires_grad] +
                     [p.grad for p in module.parameters()])
    assert (outputs[0] - outputs[1]).abs().max() <= TOL
    for g_stock, g_fused in zip(*grads):
        assert g_stock is not None and g_fused is not None
        assert (g_stock - g_fused).abs().max() <= TOL


def _assert_same_backbone(stock, fused, shape, sdpa_calls):
    """Two images of ``shape`` through both (float64): same outputs and
    gradients; the fused one reaches the kernel ``sdpa_calls`` times, the
    stock one never."""

    def make_inputs():
        return [
            torch.randn(2, 3, *shape, dtype=torch.float64, requires_grad=True)
        ]

    _assert_same_output_and_grads(stock, fused, make_inputs,
                                  lambda m, x: m(x[0]))
    x = make_inputs()[0].detach()
    assert _count_sdpa_calls(lambda: fused(x)) == sdpa_calls
    assert _count_sdpa_calls(lambda: stock(x)) == 0


@pytest.mark.parametrize('batch_first', [True, False])
def test_self_attention_equals_mmcv(batch_first):
    torch.manual_seed(0)
    stock = MultiheadAttention(
        embed_dims=32,
        num_heads=4,
        batch_first=batch_first,
        dropout_layer=None).double()
    fused = _fused_copy(stock)
    shape = (2, 17, 32) if batch_first else (17, 2, 32)

    def make_inputs():
        return [torch.randn(shape, dtype=torch.float64, requires_grad=True)]

    _assert_same_output_and_grads(stock, fused, make_inputs,
                                  lambda m, x: m(x[0]))
    x = make_inputs()[0]
    assert _count_sdpa_calls(lambda: stock(x)) == 0  # the upstream path
    assert _count_sdpa_calls(lambda: fused(x)) == 1


@pytest.mark.parametrize('mask_kind', ['none', 'bool3d', 'float2d', 'both'])
def test_cross_attention_with_positions_and_masks_equals_mmcv(mask_kind):
    """DETR / Mask2Former style: separate key, positions, masks."""
    torch.manual_seed(0)
    heads, batch, nq, nk = 4, 2, 5, 11
    stock = MultiheadAttention(
        embed_dims=32, num_heads=heads, batch_first=True).double()
    fused = _fused_copy(stock)
    attn_mask = key_padding_mask = None
    if mask_kind in ('bool3d', 'both'):
        # Mask2Former's: (B*heads, Nq, Nk), True = may not attend; no row
        # fully masked.
        attn_mask = torch.rand(batch * heads, nq, nk) > 0.6
        attn_mask[..., 0] = False
    if mask_kind == 'float2d':
        attn_mask = torch.randn(nq, nk, dtype=torch.float64)
    if mask_kind == 'both':
        key_padding_mask = torch.zeros(batch, nk, dtype=torch.bool)
        key_padding_mask[1, -3:] = True

    def make_inputs():
        return [
            torch.randn(batch, n, 32, dtype=torch.float64, requires_grad=True)
            for n in (nq, nk, nq, nk)
        ]

    def call(m, t):
        query, key, query_pos, key_pos = t
        return m(
            query,
            key,
            key,
            query_pos=query_pos,
            key_pos=key_pos,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask)

    _assert_same_output_and_grads(stock, fused, make_inputs, call)


@pytest.mark.parametrize(
    'extra',
    [dict(kdim=16, vdim=16),
     dict(add_bias_kv=True),
     dict(bias=False)])
def test_other_torch_options_equal_mmcv(extra):
    """Separate key / value widths (own projections), learned key / value
    biases (mmcv's own forward), no projection bias."""
    torch.manual_seed(0)
    stock = MultiheadAttention(
        embed_dims=32, num_heads=4, batch_first=True, **extra).double()
    fused = _fused_copy(stock)
    width = extra.get('kdim', 32)

    def make_inputs():
        return [
            torch.randn(2, 5, 32, dtype=torch.float64, requires_grad=True),
            torch.randn(2, 7, width, dtype=torch.float64, requires_grad=True)
        ]

    _assert_same_output_and_grads(stock, fused, make_inputs,
                                  lambda m, t: m(t[0], t[1], t[1]))


def _vit_kwargs(**overrides):
    kwargs = dict(
        img_size=(32, 48),
        patch_size=8,
        embed_dims=32,
        num_layers=3,
        num_heads=4,
        out_indices=(0, 2),
        final_norm=True,
        drop_path_rate=0.0,
        norm_cfg=dict(type='LN', eps=1e-5),
        interpolate_mode='bilinear')
    kwargs.update(overrides)
    return kwargs


@pytest.mark.parametrize('with_cp', [False, True])
def test_vit_equals_mmseg_vit(with_cp):
    """Same state-dict keys (strict load both ways), outputs and gradients in
    float64, non-square input, batch 2, at another input size than img_size
    (position embedding resized), with and without checkpointing."""
    torch.manual_seed(0)
    stock = VisionTransformer(**_vit_kwargs(with_cp=with_cp)).double()
    stock.init_weights()
    fused = FusedVisionTransformer(**_vit_kwargs(with_cp=with_cp)).double()
    assert list(fused.state_dict()) == list(stock.state_dict())
    fused.load_state_dict(stock.state_dict(), strict=True)
    stock.load_state_dict(fused.state_dict(), strict=True)
    assert all(
        type(layer.attn) is FusedMultiheadAttention for layer in fused.layers)
    stock.train()
    fused.train()
    _assert_same_backbone(stock, fused, (40, 56), sdpa_calls=3)


def test_stock_switch_and_distilled_vit():
    torch.manual_seed(0)
    plain = FusedVisionTransformer(**_vit_kwargs(fused_attention=False))
    assert all(
        type(layer.attn) is MultiheadAttention for layer in plain.layers)
    kwargs = _vit_kwargs(out_indices=2)
    fused = DistilledVisionTransformer(**kwargs).double()
    stock = DistilledVisionTransformer(
        fused_attention=False, **kwargs).double()
    stock.load_state_dict(fused.state_dict(), strict=True)
    assert all(
        type(layer.attn) is FusedMultiheadAttention for layer in fused.layers)
    x = torch.randn(2, 3, 32, 48, dtype=torch.float64)
    fused.eval()
    stock.eval()
    with torch.no_grad():
        assert (fused(x)[0] - stock(x)[0]).abs().max() <= TOL


def test_attention_dropout_still_applied_in_training():
    torch.manual_seed(0)
    stock = MultiheadAttention(
        embed_dims=32,
        num_heads=4,
        attn_drop=0.5,
        batch_first=True,
        dropout_layer=None).double()
    fused = _fused_copy(stock)
    x = torch.randn(2, 9, 32, dtype=torch.float64)
    fused.eval()
    stock.eval()
    eval_out = fused(x)
    assert (eval_out - stock(x)).abs().max() <= TOL
    fused.train()
    torch.manual_seed(1)
    first = fused(x)
    torch.manual_seed(2)
    second = fused(x)
    assert (first - eval_out).abs().max() > 1e-3
    assert (first - second).abs().max() > 1e-3
    # Inverted dropout keeps the expectation: the mean over many draws
    # approaches the eval output.
    mean = torch.stack([fused(x) for _ in range(400)]).mean(0)
    assert (mean -
            eval_out).abs().mean() < 0.25 * (first - eval_out).abs().mean()


def test_every_vit_config_uses_fused_attention_by_default():
    """Every config whose backbone is a ViT of ours builds fused layers;
    ``fused_attention=False`` in the config brings mmcv's path back."""
    vit_configs = []
    for path in sorted(glob.glob(osp.join(CONFIGS, '*', '*.py'))):
        if '_base_' in path:
            continue
        cfg = load_unformatted_config(path)
        backbone = cfg.model.get('backbone', {})
        if 'VisionTransformer' not in backbone.get('type', ''):
            continue
        vit_configs.append(path)
        assert MODELS.get(backbone.type) is not VisionTransformer, path
        small = dict(backbone, num_layers=1, init_cfg=None, pretrained=None)
        model = MODELS.build(small)
        assert type(model.layers[0].attn) is FusedMultiheadAttention, path
        model = MODELS.build(dict(small, fused_attention=False))
        assert type(model.layers[0].attn) is MultiheadAttention, path
    # 24 DEPICT, the DEPICT-SA / Mask2Former / DETR-seg ViT-S pyramids.
    assert len(vit_configs) >= 27


def test_mask2former_decoder_fused_equals_stock():
    """Our Mask2Former head's fused decoder attention (the default) against
    the same head with mmcv's modules, in float64: outputs of every decoder
    layer and all gradients, the masked attention's boolean masks
    included."""
    from mmdet.registry import MODELS as MMDET_MODELS
    from mmdet.structures import DetDataSample
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    cfg = load_unformatted_config(
        osp.join(CONFIGS, 'mask2former',
                 'mask2former_r50_8xb2-lsj-50e_coco-panoptic.py'))
    head_cfg = cfg.model.panoptic_head
    heads = [
        MMDET_MODELS.build(dict(head_cfg, fused_attention=fused))
        for fused in (False, True)
    ]
    heads[1].load_state_dict(heads[0].state_dict())
    stock, fused = (h.double() for h in heads)
    assert not any(
        type(m).__name__ == 'FusedMultiheadAttention' for m in stock.modules())
    sample = DetDataSample(
        metainfo=dict(batch_input_shape=(64, 96), img_shape=(64, 96)))

    def make_inputs():
        return [
            torch.randn(
                1,
                c,
                64 // s,
                96 // s,
                dtype=torch.float64,
                requires_grad=True)
            for c, s in zip((256, 512, 1024, 2048), (4, 8, 16, 32))
        ]

    def call(head, feats):
        cls_scores, mask_preds = head(feats, [sample])
        return [t.flatten() for t in cls_scores + mask_preds]

    with torch.no_grad():
        assert _count_sdpa_calls(lambda: call(stock, make_inputs())) == 0
        # 9 decoder layers, each masked cross- and self-attention.
        assert _count_sdpa_calls(lambda: call(fused, make_inputs())) == 18
    _assert_same_output_and_grads(stock, fused, make_inputs, call)


def test_swin_window_attention_through_sdpa_equals_mmseg():
    """The window attention ``benchmark_speedups.py --parts swin`` times
    (not adopted: no gain on the CPU) computes mmseg's Swin: float64, shifted
    windows with their mask, padding to whole windows, outputs and
    gradients."""
    from mmseg.models.backbones import SwinTransformer

    from tests.common import load_script
    tool = load_script('tools/analysis_tools/benchmark_speedups.py')
    torch.manual_seed(0)
    stock = SwinTransformer(
        embed_dims=32,
        depths=[2, 2],
        num_heads=[2, 4],
        window_size=7,
        out_indices=(0, 1),
        drop_path_rate=0.0).double()
    stock.init_weights()
    sdpa = copy.deepcopy(stock)
    assert tool.sdpa_window_attention(sdpa) == 4
    _assert_same_backbone(stock, sdpa, (60, 92), sdpa_calls=4)
