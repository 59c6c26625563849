"""Cross-entropy and accuracy of low-resolution logits against full-size
labels, without the full-size logits in memory.

mmseg 1.2.2's ``BaseDecodeHead.loss_by_feat`` resizes the logits to the
label size (``(B, K, H, W)``: 2 x 150 x 512 x 512 floats = 315 MB for
ADE20K at batch 2), then ``F.cross_entropy`` stores its log-softmax of the
same size for backward, ``accuracy`` sorts them with ``topk``, and backward
allocates the gradient of both. :func:`upsampled_cross_entropy` computes the
same loss and accuracy band by band: bilinear resizing is separable, so
the logits are resized along x once (``R_x @ logits`` with the (W, w)
interpolation matrix, (h, W, K) per image) and a band of output rows is the
two-tap interpolation of those rows along y; each band is scored
channels-last (log-sum-exp over contiguous classes) and dropped; backward
recomputes it and applies the transposed interpolation. Only the
low-resolution logits and one log-sum-exp per pixel are kept.
"""
from typing import Tuple

import torch
from torch import Tensor

# Elements of one band of resized logits (rows x W x K). 2**20 float32
# (4 MB) keeps a band and its temporaries near a CPU core (bands of 2**18 to
# 2**22 elements timed alike on a 2-core x86_64 CPU; the gain of the whole
# loss shows in ``benchmark_speedups.py --parts vit``). On CUDA there are no
# caches to fit, and fewer, larger bands mean fewer kernel launches.
CPU_BAND_ELEMENTS = 2**20
CUDA_BAND_ELEMENTS = 2**26


def interpolation_taps(out_size: int, in_size: int,
                       align_corners: bool) -> Tuple[Tensor, Tensor, Tensor]:
    """1-D linear interpolation as ``F.interpolate(mode='bilinear',
    size=...)`` applies it along one axis: output ``i`` is
    ``in[low[i]] + frac[i] * (in[high[i]] - in[low[i]])``.

    Source coordinate of output ``i``: ``(i + 0.5) * in / out - 0.5``
    clamped at 0 (``align_corners=False``), or ``i * (in - 1) / (out - 1)``
    (``align_corners=True``). Computed in float64.

    Returns:
        tuple[Tensor, Tensor, Tensor]: ``low``, ``high`` (long) and
        ``frac`` (float64), each of shape (out_size,).
    """
    out_idx = torch.arange(out_size, dtype=torch.float64)
    if align_corners:
        scale = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        src = out_idx * scale
    else:
        src = ((out_idx + 0.5) * (in_size / out_size) - 0.5).clamp(min=0)
    low = src.floor().long().clamp(max=in_size - 1)
    high = (low + 1).clamp(max=in_size - 1)
    return low, high, src - low


def interpolation_matrix(out_size: int, in_size: int, align_corners: bool,
                         dtype: torch.dtype, device: torch.device) -> Tensor:
    """The (out_size, in_size) matrix of :func:`interpolation_taps`."""
    low, high, frac = interpolation_taps(out_size, in_size, align_corners)
    matrix = torch.zeros(out_size, in_size, dtype=torch.float64)
    rows = torch.arange(out_size)
    matrix.index_put_((rows, low), 1 - frac, accumulate=True)
    matrix.index_put_((rows, high), frac, accumulate=True)
    return matrix.to(device=device, dtype=dtype)


def _band_rows(width: int, num_classes: int, device: torch.device) -> int:
    elements = (
        CUDA_BAND_ELEMENTS if device.type == 'cuda' else CPU_BAND_ELEMENTS)
    return max(1, elements // (width * num_classes))


def _resized_along_x(logits: Tensor, col_matrix: Tensor) -> Tensor:
    """(K, h, w) -> (h, W*K): every input row resized along x,
    channels-last."""
    cols = torch.matmul(col_matrix, logits.permute(1, 2, 0))
    return cols.reshape(logits.shape[1], -1)


def _band(cols: Tensor, low: Tensor, high: Tensor, frac: Tensor) -> Tensor:
    """Rows ``low + frac * (high - low)`` of ``cols`` (index_select is
    several times faster than advanced indexing on the CPU)."""
    band = cols.index_select(0, low)
    return band.lerp_(cols.index_select(0, high), frac)


class _UpsampledCrossEntropy(torch.autograd.Function):
    """Sum over valid pixels of the cross-entropy of the resized logits, and
    the number of pixels whose arg-max equals the label.

    A band of output rows ``y`` is ``lerp(cols[low[y]], cols[high[y]],
    frac[y])`` of the x-resized rows ``cols`` (two taps: cheaper than a
    matmul with the mostly-zero interpolation matrix), its backward two
    ``index_add_``.
    """

    @staticmethod
    def forward(ctx, logits: Tensor, labels: Tensor, ignore_index: int,
                align_corners: bool) -> Tuple[Tensor, Tensor]:
        batch, num_classes, height, width = logits.shape
        out_h, out_w = labels.shape[-2:]
        taps = interpolation_taps(out_h, height, align_corners)
        low, high = (t.to(logits.device) for t in taps[:2])
        frac = taps[2].to(device=logits.device, dtype=logits.dtype)
        col_matrix = interpolation_matrix(out_w, width, align_corners,
                                          logits.dtype, logits.device)
        rows = _band_rows(out_w, num_classes, logits.device)
        lse = logits.new_empty(batch, out_h * out_w)
        loss_sum = logits.new_zeros(())
        correct = torch.zeros((), dtype=torch.long, device=logits.device)
        for b in range(batch):
            cols = _resized_along_x(logits[b], col_matrix)
            for y in range(0, out_h, rows):
                band = _band(cols, low[y:y + rows], high[y:y + rows],
                             frac[y:y + rows, None]).view(-1, num_classes)
                label = labels[b, y:y + rows].reshape(-1)
                valid = label != ignore_index
                top, top_class = band.max(dim=1)
                band_lse = top + torch.exp(band - top[:, None]).sum(1).log()
                lse[b, y * out_w:y * out_w + band.shape[0]] = band_lse
                picked = band.gather(1, torch.where(valid, label, 0)[:, None])
                loss_sum += torch.where(valid, band_lse - picked[:, 0],
                                        0).sum()
                correct += ((top_class == label) & valid).sum()
        ctx.save_for_backward(logits, labels, lse, low, high, frac, col_matrix)
        ctx.ignore_index = ignore_index
        ctx.mark_non_differentiable(correct)
        return loss_sum, correct

    @staticmethod
    def backward(ctx, grad_loss: Tensor, _grad_correct):
        logits, labels, lse, low, high, frac, col_matrix = ctx.saved_tensors
        batch, num_classes, height, width = logits.shape
        out_h, out_w = labels.shape[-2:]
        rows = _band_rows(out_w, num_classes, logits.device)
        grad = torch.empty_like(logits)
        for b in range(batch):
            cols = _resized_along_x(logits[b], col_matrix)
            grad_cols = torch.zeros_like(cols)
            for y in range(0, out_h, rows):
                band_low, band_high = low[y:y + rows], high[y:y + rows]
                band_frac = frac[y:y + rows, None]
                band = _band(cols, band_low, band_high,
                             band_frac).view(-1, num_classes)
                label = labels[b, y:y + rows].reshape(-1)
                valid = label != ctx.ignore_index
                band_lse = lse[b, y * out_w:y * out_w + band.shape[0]]
                # d(lse - picked)/d band = softmax - one-hot, 0 if ignored.
                prob = torch.exp(band - band_lse[:, None])
                prob.scatter_add_(1,
                                  torch.where(valid, label, 0)[:, None],
                                  -torch.ones_like(prob[:, :1]))
                prob.mul_(valid[:, None] * grad_loss)
                prob = prob.view(band_low.shape[0], -1)
                grad_cols.index_add_(0, band_low, prob * (1 - band_frac))
                grad_cols.index_add_(0, band_high, prob * band_frac)
            grad_cols = grad_cols.view(height, out_w, num_classes)
            grad[b] = torch.matmul(col_matrix.T, grad_cols).permute(2, 0, 1)
        return grad, None, None, None


def upsampled_cross_entropy(
        logits: Tensor,
        labels: Tensor,
        ignore_index: int = 255,
        align_corners: bool = False,
        avg_non_ignore: bool = False) -> Tuple[Tensor, Tensor]:
    """mmseg's cross-entropy and top-1 accuracy of bilinearly resized logits.

    Equal to ``resize`` + ``CrossEntropyLoss(use_sigmoid=False,
    class_weight=None, reduction='mean', avg_non_ignore=...)`` + ``accuracy``
    as ``BaseDecodeHead.loss_by_feat`` of mmseg 1.2.2 computes them
    (float64: 1e-10 on loss, accuracy and gradient; the loss weight is the
    caller's), in O(B K h w) memory instead of O(B K H W). Low-precision
    logits (float16 / bfloat16, e.g. under autocast) are scored in float32.
    An accuracy tie (several classes at the maximum) counts the first, where
    mmseg's ``topk`` leaves the choice to the kernel.

    Args:
        logits (Tensor): Low-resolution logits, shape (B, K, h, w).
        labels (Tensor): Class indices, shape (B, H, W); ``ignore_index``
            marks pixels that count for neither.
        ignore_index (int): Label of ignored pixels. Default: 255.
        align_corners (bool): As for ``F.interpolate``. Default: False.
        avg_non_ignore (bool): Average over non-ignored pixels instead of
            all pixels (mmseg's flag of that name). Default: False.

    Returns:
        tuple[Tensor, Tensor]: The loss (scalar, differentiable) and the
        accuracy in percent (shape (1,), float32, as mmseg's ``accuracy``).

    Raises:
        ValueError: On a shape mismatch or a label outside ``[0, K)`` other
            than ``ignore_index``.
    """
    if logits.dim() != 4 or labels.dim() != 3 \
            or labels.shape[0] != logits.shape[0]:
        raise ValueError('upsampled_cross_entropy: expected logits (B, K, h, '
                         'w) and labels (B, H, W), got '
                         f'{tuple(logits.shape)} and {tuple(labels.shape)}')
    num_classes = logits.shape[1]
    labels = labels.long()
    out_of_range = (labels != ignore_index) & ((labels < 0) |
                                               (labels >= num_classes))
    if out_of_range.any():
        bad = labels[out_of_range].unique()[:5].tolist()
        raise ValueError(
            f'upsampled_cross_entropy: label values {bad} are neither '
            f'classes [0, {num_classes}) nor ignore_index {ignore_index}')
    if logits.dtype in (torch.float16, torch.bfloat16):
        logits = logits.float()
    with torch.autocast(logits.device.type, enabled=False):
        loss_sum, correct = _UpsampledCrossEntropy.apply(
            logits, labels, ignore_index, align_corners)
    eps = torch.finfo(torch.float32).eps
    num_valid = labels.numel() - int((labels == ignore_index).sum())
    count = num_valid if avg_non_ignore else labels.numel()
    loss = loss_sum / (count + eps)
    accuracy = (correct.float().reshape(1) + eps).mul_(100.0 /
                                                       (num_valid + eps))
    return loss, accuracy
