"""Sigmoid focal and naive dice losses of low-resolution mask logits against
full-size binary masks, in one pass and without the full-size tensors kept.

DETR's mask losses upsample every matched query's (h, w) logits to the
target size and score each pixel with mmdet 3.3.0's ``FocalLoss``
(``use_sigmoid``) and ``DiceLoss`` (``naive_dice``). On the CPU that path
is a chain of a dozen full-size element-wise passes: ``FocalLoss`` one-hot
encodes the targets (``F.one_hot`` + ``scatter_`` of an (N*H*W, 2) int64
tensor), ``py_sigmoid_focal_loss`` builds ``pt``, the focal weight and the
binary cross-entropy separately, and autograd stores each for backward.
:func:`upsampled_focal_dice_loss` computes the same two numbers from the
shared ``u = x if t == 0 else -x`` (``sigmoid(u)`` is mmdet's ``pt``,
``softplus(u)`` its cross-entropy) and their gradient in closed form,
a chunk of masks at a time; backward recomputes the upsampled logits (as
a gradient checkpoint would) and keeps only the low-resolution logits, the
boolean targets and two numbers per mask.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

# A chunk of upsampled masks (masks x H x W) holds as many elements as a
# band of the upsampled cross-entropy, for the same reasons.
from .upsampled_cross_entropy import CPU_BAND_ELEMENTS, CUDA_BAND_ELEMENTS

#: mmdet's ``weight_reduce_loss`` divides a mean by ``avg_factor + eps``.
_AVG_EPS = torch.finfo(torch.float32).eps


def _chunks(pred: Tensor, size: Tuple[int, int]):
    elements = (
        CUDA_BAND_ELEMENTS
        if pred.device.type == 'cuda' else CPU_BAND_ELEMENTS)
    step = max(1, elements // (size[0] * size[1]))
    return [slice(i, i + step) for i in range(0, len(pred), step)]


def _upsample(pred: Tensor, size: Tuple[int, int]) -> Tensor:
    """(n, h, w) -> (n, H*W), as the reference losses resize them."""
    return F.interpolate(
        pred[:, None], size=size, mode='bilinear',
        align_corners=False).flatten(1)


def _pixel_terms(x: Tensor, t: Tensor,
                 alpha: float) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """``sign`` (1 where ``t`` is 0, else -1), ``q = sigmoid(sign * x)``
    (mmdet's ``pt``), ``softplus(sign * x)`` (the binary cross-entropy)
    and the focal loss's ``alpha_t``, each (n, H*W)."""
    sign = 1 - 2 * t.to(x.dtype)
    u = sign * x
    alpha_t = torch.full_like(x, 1 - alpha).masked_fill_(t, alpha)
    return sign, torch.sigmoid(u), F.softplus(u), alpha_t


def _power(q: Tensor, gamma: float) -> Tensor:
    return q * q if gamma == 2 else q.pow(gamma)


class _UpsampledFocalDice(torch.autograd.Function):
    """Sums over masks of the per-pixel focal loss and of ``1 - dice``.

    With ``u = where(t, -x, x)`` and ``q = sigmoid(u)``: the focal term of a
    pixel is ``alpha_t * q**gamma * softplus(u)``, so ``d/du = alpha_t *
    q**gamma * (gamma * (1 - q) * softplus(u) + q)`` and ``d/dx = -d/du``
    where ``t``. Dice: ``s = sigmoid(x)``, ``d = (2 a + eps) / (b + c +
    eps)`` with ``a = sum(s t)``, ``b = sum(s)``, ``c = sum(t)``; ``d/ds_i
    = (2 t_i (b + c + eps) - (2 a + eps)) / (b + c + eps)**2`` and ``ds/dx
    = q (1 - q)``.
    """

    @staticmethod
    def forward(ctx, pred: Tensor, gt_masks: Tensor, alpha: float,
                gamma: float, dice_eps: float) -> Tuple[Tensor, Tensor]:
        size = tuple(gt_masks.shape[-2:])
        focal = pred.new_zeros(())
        numerator = pred.new_empty(len(pred))
        denominator = pred.new_empty(len(pred))
        for chunk in _chunks(pred, size):
            x = _upsample(pred[chunk], size)
            t = gt_masks[chunk].flatten(1)
            sign, q, softplus, alpha_t = _pixel_terms(x, t, alpha)
            focal += (alpha_t * _power(q, gamma) * softplus).sum()
            target = t.to(x.dtype)
            s = target + sign * q  # sigmoid(x), q where t is 0
            numerator[chunk] = 2 * (s * target).sum(1) + dice_eps
            denominator[chunk] = s.sum(1) + target.sum(1) + dice_eps
        ctx.save_for_backward(pred, gt_masks, numerator, denominator)
        ctx.alpha, ctx.gamma = alpha, gamma
        return focal, (1 - numerator / denominator).sum()

    @staticmethod
    def backward(ctx, grad_focal: Tensor, grad_dice: Tensor):
        pred, gt_masks, numerator, denominator = ctx.saved_tensors
        alpha, gamma = ctx.alpha, ctx.gamma
        size = tuple(gt_masks.shape[-2:])
        grad_pred = torch.empty_like(pred)
        for chunk in _chunks(pred, size):
            with torch.enable_grad():
                low = pred[chunk].detach().requires_grad_()
                x = _upsample(low, size)
            sign, q, softplus, alpha_t = _pixel_terms(
                x.detach(), gt_masks[chunk].flatten(1), alpha)
            grad_u = alpha_t * _power(q, gamma) * (
                gamma * (1 - q) * softplus + q)
            grad_x = sign * grad_u * grad_focal
            den = denominator[chunk, None]
            dice_ds = ((1 - sign) * den - numerator[chunk, None]) / -den**2
            grad_x += dice_ds * (q * (1 - q)) * grad_dice
            grad_pred[chunk] = torch.autograd.grad(x, low, grad_x)[0]
        return grad_pred, None, None, None, None


def upsampled_focal_dice_loss(
        pred: Tensor,
        gt_masks: Tensor,
        avg_factor: Tensor,
        alpha: float = 0.25,
        gamma: float = 2.0,
        dice_eps: float = 1.0,
        focal_weight: float = 1.0,
        dice_weight: float = 1.0) -> Tuple[Tensor, Tensor]:
    """Focal and dice losses of masks resized to their targets' size.

    Equal to upsampling ``pred`` bilinearly (``align_corners=False``) to
    the targets' size and applying mmdet's ``FocalLoss(use_sigmoid=True,
    alpha, gamma, loss_weight=focal_weight)`` with ``avg_factor *
    H * W`` (the mean over pixels, summed over masks) and ``DiceLoss(
    use_sigmoid=True, activate=True, naive_dice=True, eps=dice_eps,
    loss_weight=dice_weight)`` with ``avg_factor``; gradients too.

    Args:
        pred (Tensor): (N, h, w) mask logits.
        gt_masks (Tensor): (N, H, W) bool targets.
        avg_factor (Tensor): Number of masks the losses are averaged over
            (a scalar; the batch's over all processes).
        alpha, gamma (float): Focal loss parameters.
        dice_eps (float): Dice smoothing term.
        focal_weight, dice_weight (float): Loss weights.

    Returns:
        tuple[Tensor, Tensor]: The focal and the dice loss (scalars).
    """
    if gt_masks.dtype != torch.bool:
        raise TypeError(f'gt_masks: expected a bool tensor, got '
                        f'{gt_masks.dtype}')
    if pred.shape[0] != gt_masks.shape[0]:
        raise ValueError(f'{pred.shape[0]} mask logits for '
                         f'{gt_masks.shape[0]} target masks')
    focal, dice = _UpsampledFocalDice.apply(pred, gt_masks, alpha, gamma,
                                            dice_eps)
    pixels = gt_masks.shape[-2] * gt_masks.shape[-1]
    focal = focal_weight * focal / (avg_factor * pixels + _AVG_EPS)
    dice = dice_weight * dice / (avg_factor + _AVG_EPS)
    return focal, dice
