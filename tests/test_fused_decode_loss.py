"""Band-wise decode loss (``fused_loss``) vs mmseg's ``loss_by_feat``.

The reference is mmseg 1.2.2 itself: ``BaseDecodeHead.loss_by_feat``
(``resize`` -> ``CrossEntropyLoss`` -> ``accuracy``) on the same head with
``fused_loss=False``, and PyTorch's ``F.interpolate`` for the interpolation
matrices; float64.
"""
import copy
import importlib
from unittest import mock

import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmseg_depict.models.losses import (interpolation_matrix,
                                        upsampled_cross_entropy)

mixin_module = importlib.import_module(
    'mmseg_depict.models.utils.fused_decode_loss')

TOL = 1e-10
NUM_CLASSES = 7


def _head(fused_loss=True, **kwargs):
    loss = dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)
    loss.update(kwargs.pop('loss', {}))
    cfg = dict(
        type='DEPICTHead',
        in_channels=32,
        num_classes=NUM_CLASSES,
        num_layers=1,
        loss_decode=kwargs.pop('loss_decode', loss),
        fused_loss=fused_loss,
        **kwargs)
    return MODELS.build(cfg).double()


def _samples(shape, ignored_rows=0, seed=0, all_ignored=False):
    generator = torch.Generator().manual_seed(seed)
    samples = []
    for i in range(2):
        label = torch.randint(0, NUM_CLASSES, (1, *shape), generator=generator)
        label[:, :ignored_rows] = 255
        if all_ignored and i == 1:
            label[:] = 255
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
    return samples


def _losses_and_grad(head, logits, samples):
    logits = logits.clone().requires_grad_()
    losses = head.loss_by_feat(logits, samples)
    losses['loss_ce'].backward()
    return losses, logits.grad


@pytest.mark.parametrize('out_size,in_size', [(512, 32), (201, 13), (17, 17),
                                              (9, 24), (1, 5), (6, 1)])
@pytest.mark.parametrize('align_corners', [False, True])
def test_interpolation_matrix_is_pytorchs_bilinear(out_size, in_size,
                                                   align_corners):
    x = torch.randn(2, 3, in_size, in_size + 2, dtype=torch.float64)
    reference = F.interpolate(
        x,
        size=(out_size, out_size + 1),
        mode='bilinear',
        align_corners=align_corners)
    rows = interpolation_matrix(out_size, in_size, align_corners, x.dtype,
                                x.device)
    cols = interpolation_matrix(out_size + 1, in_size + 2, align_corners,
                                x.dtype, x.device)
    assert (rows @ x @ cols.T - reference).abs().max() <= TOL


@pytest.mark.parametrize(
    'logit_size,label_size,align_corners,avg_non_ignore,loss_weight',
    [((13, 17), (201, 150), False, False, 1.0),
     ((13, 17), (201, 150), True, True, 0.4),
     ((32, 32), (512, 512), False, True, 1.0),
     ((24, 20), (24, 20), False, False, 2.0),
     ((30, 30), (20, 25), False, True, 1.0)])
def test_fused_loss_equals_mmseg_loss_by_feat(logit_size, label_size,
                                              align_corners, avg_non_ignore,
                                              loss_weight):
    fused = _head(
        align_corners=align_corners,
        loss=dict(avg_non_ignore=avg_non_ignore, loss_weight=loss_weight))
    stock = copy.deepcopy(fused)
    stock.fused_loss = False
    torch.manual_seed(0)
    logits = torch.randn(2, NUM_CLASSES, *logit_size, dtype=torch.float64)
    samples = _samples(label_size, ignored_rows=label_size[0] // 5)
    with mock.patch.object(F, 'interpolate', side_effect=F.interpolate) as spy:
        ours, grad = _losses_and_grad(fused, logits, samples)
    assert spy.call_count == 0  # the fused path was taken
    theirs, stock_grad = _losses_and_grad(stock, logits, samples)
    assert set(ours) == set(theirs) == {'loss_ce', 'acc_seg'}
    assert (ours['loss_ce'] - theirs['loss_ce']).abs() <= TOL
    assert ours['acc_seg'].shape == theirs['acc_seg'].shape == (1, )
    assert ours['acc_seg'].dtype == theirs['acc_seg'].dtype
    assert (ours['acc_seg'] - theirs['acc_seg']).abs().max() <= 1e-4
    assert stock_grad.abs().max() > 1e-6
    assert (grad - stock_grad).abs().max() <= TOL


def test_fully_ignored_image_and_batch():
    fused = _head(loss=dict(avg_non_ignore=True))
    stock = copy.deepcopy(fused)
    stock.fused_loss = False
    logits = torch.randn(2, NUM_CLASSES, 8, 8, dtype=torch.float64)
    for samples in (_samples(
        (40, 40), all_ignored=True), _samples((40, 40), ignored_rows=40)):
        ours, grad = _losses_and_grad(fused, logits, samples)
        theirs, stock_grad = _losses_and_grad(stock, logits, samples)
        for key in ('loss_ce', 'acc_seg'):
            assert torch.allclose(ours[key], theirs[key], rtol=0, atol=1e-6)
        assert (grad - stock_grad).abs().max() <= TOL


def test_fused_loss_keeps_no_image_size_tensor_for_backward():
    """mmseg's path saves (B, K, H, W) tensors for backward (the resized
    logits' log-softmax); the band-wise one saves the low-resolution logits
    and one value per pixel."""
    logits = torch.randn(2, NUM_CLASSES, 16, 16, dtype=torch.float64)
    samples = _samples((256, 256))
    full_size = 2 * NUM_CLASSES * 256 * 256

    def largest_saved(head):
        sizes = []

        def pack(t):
            sizes.append(t.numel())
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            head.loss_by_feat(logits.clone().requires_grad_(), samples)
        return max(sizes)

    stock = _head(fused_loss=False)
    assert largest_saved(stock) >= full_size
    assert largest_saved(_head()) <= full_size // NUM_CLASSES


@pytest.mark.parametrize(
    'kwargs', [
        dict(loss=dict(class_weight=[1.0] * NUM_CLASSES)),
        dict(loss=dict(use_sigmoid=True)),
        dict(loss_decode=[
            dict(type='CrossEntropyLoss', loss_weight=1.0),
            dict(type='DiceLoss', loss_weight=0.5)
        ]),
        dict(sampler=dict(type='OHEMPixelSampler', thresh=0.7, min_kept=50)),
    ],
    ids=['class_weight', 'sigmoid', 'two_losses', 'sampler'])
def test_other_losses_run_mmseg_code(kwargs):
    head = _head(**kwargs)
    logits = torch.randn(2, NUM_CLASSES, 8, 8, dtype=torch.float64)
    samples = _samples((32, 32))
    with mock.patch.object(
            mixin_module, 'upsampled_cross_entropy',
            side_effect=AssertionError('fused path taken')) as fused, \
            mock.patch.object(BaseDecodeHead, 'loss_by_feat',
                              autospec=True,
                              side_effect=BaseDecodeHead.loss_by_feat) as spy:
        losses = head.loss_by_feat(logits, samples)
    assert fused.call_count == 0 and spy.call_count == 1
    assert 'acc_seg' in losses


def test_label_outside_classes_is_named():
    logits = torch.randn(1, NUM_CLASSES, 4, 4)
    labels = torch.zeros(1, 16, 16, dtype=torch.long)
    labels[0, 0, 0] = 9
    with pytest.raises(ValueError, match=r'\[9\].*\[0, 7\).*255'):
        upsampled_cross_entropy(logits, labels)
    with pytest.raises(ValueError, match='expected logits'):
        upsampled_cross_entropy(logits, labels[0])


def test_low_precision_is_scored_in_float32():
    torch.manual_seed(0)
    logits = torch.randn(2, NUM_CLASSES, 8, 8)
    labels = torch.randint(0, NUM_CLASSES, (2, 64, 64))
    reference, _ = upsampled_cross_entropy(logits.double(), labels)
    half = logits.to(torch.bfloat16).requires_grad_()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss, accuracy = upsampled_cross_entropy(half, labels)
    loss.backward()
    assert loss.dtype == torch.float32 and accuracy.dtype == torch.float32
    assert half.grad.dtype == torch.bfloat16
    assert abs(loss.item() - reference.item()) <= 1e-2 * reference.item()
