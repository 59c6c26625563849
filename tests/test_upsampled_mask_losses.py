"""The one-pass mask losses equal mmdet's ``FocalLoss`` + ``DiceLoss`` on
upsampled logits (the path DETR's mask branch took before), in float64,
values and gradients; the DETR head takes them only for those losses,
and the benchmark that times them against mmdet's computes the same."""
import json

import pytest
import torch
import torch.nn.functional as F
from mmdet.models.losses import DiceLoss, FocalLoss
from mmdet.registry import MODELS
from mmengine.registry import init_default_scope

import mmseg_depict.models.losses.upsampled_mask_losses as module
from mmseg_depict.models.losses.upsampled_mask_losses import \
    upsampled_focal_dice_loss
from .common import run_tool


def _mmdet_losses(pred, gt_masks, avg_factor, alpha, gamma, dice_eps,
                  focal_weight, dice_weight):
    """mmdet 3.3.0's losses as DETR's mask branch applies them."""
    x = F.interpolate(
        pred[:, None],
        size=gt_masks.shape[-2:],
        mode='bilinear',
        align_corners=False).flatten(1)
    t = gt_masks.flatten(1).to(pred.dtype)
    focal = FocalLoss(
        use_sigmoid=True, alpha=alpha, gamma=gamma, loss_weight=focal_weight)
    dice = DiceLoss(
        use_sigmoid=True,
        activate=True,
        naive_dice=True,
        eps=dice_eps,
        loss_weight=dice_weight)
    # FocalLoss takes class indices: 0 is the (only) class, 1 background.
    focal_loss = focal(
        x.reshape(-1, 1), (1 - t).reshape(-1).long(),
        avg_factor=avg_factor * x.shape[1])
    return focal_loss, dice(x, t, avg_factor=avg_factor)


@pytest.mark.parametrize(
    'shape, params, chunk_elements',
    [
        # DETR's settings, odd sizes, one chunk.
        ((7, 9, 11, 35, 43), (0.25, 2.0, 1.0, 1.0, 1.0), 2**20),
        # Other parameters and weights; one mask per chunk and a ragged
        # last chunk (3 masks of 33x30 per 3000 elements).
        ((5, 8, 8, 33, 30), (0.4, 1.5, 0.5, 2.0, 3.0), 3000),
    ])
def test_equal_to_mmdet_losses_in_float64(monkeypatch, shape, params,
                                          chunk_elements):
    monkeypatch.setattr(module, 'CPU_BAND_ELEMENTS', chunk_elements)
    n, h, w, height, width = shape
    generator = torch.Generator().manual_seed(0)
    # Logits up to +-16: where 1 - sigmoid(x) has lost most of its digits.
    pred = (4 * torch.randn(n, h, w, generator=generator,
                            dtype=torch.float64)).requires_grad_()
    gt_masks = torch.rand(n, height, width, generator=generator) > 0.6
    gt_masks[0] = False  # a mask with no pixel
    avg_factor = torch.tensor(3.0, dtype=torch.float64)

    want = _mmdet_losses(pred, gt_masks, avg_factor, *params)
    want_grad = torch.autograd.grad(0.7 * want[0] + 1.3 * want[1], pred)[0]
    got = upsampled_focal_dice_loss(pred, gt_masks, avg_factor, *params)
    got_grad = torch.autograd.grad(0.7 * got[0] + 1.3 * got[1], pred)[0]

    for a, b in zip(got, want):
        assert a.dtype == torch.float64
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(got_grad, want_grad, rtol=1e-10, atol=1e-15)
    assert want_grad.abs().max() > 1e-4  # a gradient worth comparing


def test_bad_targets_are_refused():
    pred = torch.zeros(2, 4, 4)
    with pytest.raises(TypeError, match='bool'):
        upsampled_focal_dice_loss(pred, torch.ones(2, 8, 8), torch.tensor(2.))
    with pytest.raises(ValueError, match='2 mask logits for 3 target'):
        upsampled_focal_dice_loss(pred, torch.ones(3, 8, 8, dtype=bool),
                                  torch.tensor(2.))


def _head(**losses):
    init_default_scope('mmdet')
    return MODELS.build(
        dict(
            type='DETRPanopticHead',
            num_things_classes=2,
            num_stuff_classes=2,
            embed_dims=32,
            **losses))


@pytest.mark.parametrize('dice, fused', [
    (dict(), True),
    (dict(naive_dice=False), False),
])
def test_detr_head_fuses_only_its_own_losses(dice, fused):
    """DETR's losses take the one-pass path; another dice form (V-Net's
    squared denominator) the generic one. Both give mmdet's values."""
    loss_dice = dict(
        type='DiceLoss',
        use_sigmoid=True,
        activate=True,
        naive_dice=True,
        eps=1.0,
        loss_weight=1.0)
    loss_dice.update(dice)
    head = _head(loss_dice=loss_dice)
    assert head._fused_mask_losses() is fused
    pred = torch.randn(3, 6, 5, dtype=torch.float64)
    gt_masks = torch.rand(3, 24, 20) > 0.5
    losses = head.loss_masks(pred, gt_masks)
    x = F.interpolate(
        pred[:, None], size=(24, 20), mode='bilinear',
        align_corners=False).flatten(1)
    t = gt_masks.flatten(1).double()
    want_dice = DiceLoss(**{
        k: v
        for k, v in loss_dice.items() if k != 'type'
    })(x, t, avg_factor=3.0)
    torch.testing.assert_close(losses['loss_mask_dice'], want_dice)


def test_benchmark_times_the_same_losses(tmp_path):
    """benchmark_detr_mask_head.py's three paths compute one loss (the
    one-pass losses, the generic path, every query's masks)."""
    out = tmp_path / 'bench.json'
    run_tool([
        'tools/analysis_tools/benchmark_detr_mask_head.py', '--size', '64',
        '96', '--batch', '2', '--queries', '6', '--targets', '3', '--repeats',
        '1', '--warmup', '0', '--out',
        str(out)
    ])
    result = json.loads(out.read_text())
    assert [row['path'] for row in result['rows']
            ] == ['lean', 'all queries', 'lean, mmdet losses']
    assert result['losses'] == pytest.approx(
        [result['losses'][0]] * 3, rel=1e-5)
    assert set(result['ratios']) == {'lean / all', 'one-pass / mmdet losses'}
