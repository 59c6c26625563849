from typing import List, Tuple

import torch
from mmdet.models.layers import MSDeformAttnPixelDecoder
from mmdet.registry import MODELS
from torch import Tensor

from .precision import at_least_float32


@MODELS.register_module()
class Float32MSDeformAttnPixelDecoder(MSDeformAttnPixelDecoder):
    """mmdet 3.3.0's ``MSDeformAttnPixelDecoder`` run in float32 under
    autocast, as the Mask2Former release runs its pixel decoder
    (``@autocast(enabled=False)`` on its forward).

    Under ``--amp`` mmdet's decoder runs in fp16, mmcv 2.1.0's deformable
    attention kernel included (its inputs are cast to the value's fp16, and
    its backward accumulates sampling gradients in that precision). Here fp16
    / bf16 backbone features are cast to float32 and autocast is off for the
    decoder; the heavy backbone and the transformer decoder stay in fp16.
    Same arguments, parameters and state-dict keys as the upstream class.
    """

    def forward(self, feats: List[Tensor]) -> Tuple[Tensor, List[Tensor]]:
        """Upstream forward in float32.

        Args:
            feats (list[Tensor]): Backbone levels, each (B, c, h, w).

        Returns:
            tuple: ``mask_feature`` (B, c, h, w) and the multi-scale
            features, each (B, c, h, w), float32.
        """
        with torch.autocast(feats[0].device.type, enabled=False):
            return super().forward([at_least_float32(f) for f in feats])
