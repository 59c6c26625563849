from mmseg.models.losses import CrossEntropyLoss
from torch import Tensor, nn

from ..losses import upsampled_cross_entropy


class FusedDecodeLossMixin:
    """A decode head whose training loss never holds image-size logits.

    mmseg 1.2.2's ``BaseDecodeHead.loss_by_feat`` resizes the logits to the
    label size and keeps that tensor, its log-softmax and their gradients
    (K x H x W floats each; their share of a training step:
    ``benchmark_speedups.py --parts vit``, docs/benchmarks.md).
    With ``fused_loss=True`` the loss and ``acc_seg`` come from
    :func:`~mmseg_depict.models.losses.upsampled_cross_entropy` instead:
    the same values and gradients (float64 test: 1e-10), band by band.
    It applies where mmseg's path is plain cross-entropy — one
    ``CrossEntropyLoss`` (softmax, no class weights, ``reduction='mean'``)
    and no pixel sampler; any other ``loss_decode`` or a ``sampler`` runs
    mmseg's code unchanged.

    Args:
        fused_loss (bool): Use the band-wise loss where it applies
            (default). ``False`` runs mmseg's ``loss_by_feat`` (for
            comparisons).
        *args, **kwargs: The head's own arguments.
    """

    def __init__(self, *args, fused_loss: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fused_loss = fused_loss

    def _fusable_loss(self):
        """The one plain ``CrossEntropyLoss`` of this head, else None."""
        losses = self.loss_decode
        if isinstance(losses, nn.ModuleList):
            if len(losses) != 1:
                return None
            losses = losses[0]
        plain = (
            type(losses) is CrossEntropyLoss and not losses.use_sigmoid
            and not losses.use_mask and losses.class_weight is None
            and losses.reduction == 'mean')
        return losses if plain and self.sampler is None else None

    def loss_by_feat(self, seg_logits: Tensor, batch_data_samples) -> dict:
        """Segmentation loss and accuracy.

        Args:
            seg_logits (Tensor): Head output, shape (B, K, h, w).
            batch_data_samples (list[SegDataSample]): With ``gt_sem_seg``
                of shape (1, H, W).

        Returns:
            dict[str, Tensor]: The loss under the loss's name (``loss_ce``)
            and ``acc_seg``, as mmseg's.
        """
        loss_ce = self._fusable_loss() if self.fused_loss else None
        if loss_ce is None:
            return super().loss_by_feat(seg_logits, batch_data_samples)
        labels = self._stack_batch_gt(batch_data_samples).squeeze(1)
        loss, accuracy = upsampled_cross_entropy(
            seg_logits,
            labels,
            ignore_index=self.ignore_index,
            align_corners=self.align_corners,
            avg_non_ignore=loss_ce.avg_non_ignore)
        return {
            loss_ce.loss_name: loss_ce.loss_weight * loss,
            'acc_seg': accuracy
        }
