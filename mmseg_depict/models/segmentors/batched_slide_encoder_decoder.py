from typing import Iterator, List

import torch
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class BatchedSlideEncoderDecoder(EncoderDecoder):
    """mmseg's ``EncoderDecoder`` whose sliding windows run in batches.

    mmseg 1.2.2's ``EncoderDecoder.slide_inference`` calls
    ``encode_decode`` once per window, so an image cut into 8 crops makes 8
    small forward passes. Here the crops are stacked and go through the model
    ``test_cfg.batch_size`` at a time (the DEPICT / Segmenter release's
    ``--window-batch-size``, default 4 there). Windows, their order, the
    summing of overlaps and the division by the overlap count are mmseg's, so
    the logits are mmseg's; with ``batch_size=1`` (the default when the key is
    absent) every forward pass is the stock one. Everything else (whole-image
    inference, training, TTA, the inference APIs) is ``EncoderDecoder``'s.

    Only the network runs batched. A head that keeps mmseg's
    ``BaseDecodeHead.predict`` (``forward``, then ``predict_by_feat``'s
    resize to the crop) has its low-resolution logits resized one crop at a
    time: a batch of crop-size logits (8 Cityscapes crops of 768: 360 MB)
    would cost more in allocation than batching saves on a CPU. Heads with
    their own ``predict`` (Mask2Former's) get the batch whole. Each window's
    logits are added to the image's in place (mmseg adds a zero-padded copy
    the size of the image per window). On a 2-core CPU batches of windows
    ran as fast as one window at a time (docs/benchmarks.md); the batching
    is for devices that one crop does not fill.

    ``test_cfg`` keys, besides mmseg's ``mode``, ``crop_size``, ``stride``:

    * ``batch_size`` (int): crops per forward pass, at least 1. A batch of
      ``n`` images runs ``max(1, batch_size // n)`` window positions per pass
      (``n`` crops each), so at most ``max(batch_size, n)`` crops are in the
      model at once: the batch size bounds the memory.
    """

    def slide_batch_size(self) -> int:
        """``test_cfg.batch_size``, checked (1 when absent)."""
        size = self.test_cfg.get('batch_size', 1)
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError('model.test_cfg.batch_size (crops per forward '
                             'pass in slide mode) must be an integer >= 1, '
                             f'got {size!r}')
        return size

    def slide_inference(self, inputs: Tensor,
                        batch_img_metas: List[dict]) -> Tensor:
        """Sliding-window inference, windows in batches.

        Args:
            inputs (Tensor): Images (N, 3, H, W).
            batch_img_metas (list[dict]): One meta dict per image. As in
                mmseg, the first one's ``img_shape`` is set to the crop size.

        Returns:
            Tensor: Averaged logits (N, num_classes, H, W).
        """
        h_stride, w_stride = self.test_cfg.stride
        h_crop, w_crop = self.test_cfg.crop_size
        num_images, _, h_img, w_img = inputs.size()
        h_grids = max(h_img - h_crop + h_stride - 1, 0) // h_stride + 1
        w_grids = max(w_img - w_crop + w_stride - 1, 0) // w_stride + 1
        windows = []
        for h_idx in range(h_grids):
            for w_idx in range(w_grids):
                # mmseg's windows: the last ones shifted back inside the image.
                y2 = min(h_idx * h_stride + h_crop, h_img)
                x2 = min(w_idx * w_stride + w_crop, w_img)
                windows.append((max(y2 - h_crop, 0), max(x2 - w_crop,
                                                         0), y2, x2))
        per_pass = max(1, self.slide_batch_size() // num_images)
        preds = None
        count_mat = inputs.new_zeros((num_images, 1, h_img, w_img))
        for start in range(0, len(windows), per_pass):
            chunk = windows[start:start + per_pass]
            # Every window of an image has the same size (shifted, not cut).
            crops = torch.cat(
                [inputs[:, :, y1:y2, x1:x2] for y1, x1, y2, x2 in chunk])
            batch_img_metas[0]['img_shape'] = crops.shape[2:]
            window_logits = self._window_logits(crops, batch_img_metas,
                                                num_images)
            for (y1, x1, y2, x2), logits in zip(chunk, window_logits):
                if preds is None:
                    # The head's layout (DEPICT's is channels-last): the
                    # adds stay contiguous, the arg-max over classes too.
                    layout = (
                        torch.contiguous_format
                        if logits.is_contiguous() else torch.channels_last)
                    preds = torch.empty(
                        (num_images, self.out_channels, h_img, w_img),
                        dtype=inputs.dtype,
                        device=inputs.device,
                        memory_format=layout).zero_()
                # In place on the window: the same sums in the same order as
                # mmseg's add of a zero-padded full-size copy, without it.
                preds[:, :, y1:y2, x1:x2] += logits
                count_mat[:, :, y1:y2, x1:x2] += 1
        assert (count_mat == 0).sum() == 0
        return preds / count_mat

    def _window_logits(self, crops: Tensor, batch_img_metas: List[dict],
                       num_images: int) -> Iterator[Tensor]:
        """Crop-size logits of each window position, in order.

        Args:
            crops (Tensor): Windows (W * N, 3, h, w), window-major: the
                ``N`` images' crops of one position are consecutive.
            batch_img_metas (list[dict]): The ``N`` images' metas.
            num_images (int): ``N``.

        Yields:
            Tensor: (N, num_classes, h, w) for each of the ``W`` positions.
        """
        metas = batch_img_metas * (len(crops) // num_images)
        head = self.decode_head
        if type(head).predict is not BaseDecodeHead.predict:
            logits = self.encode_decode(crops, metas)
            yield from logits.split(num_images)
            return
        low_res = head.forward(self.extract_feat(crops))
        for window in low_res.split(num_images):
            yield head.predict_by_feat(window, batch_img_metas)
