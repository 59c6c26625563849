from typing import List, Tuple

from mmseg.models.necks import MultiLevelNeck
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class ViTPyramidNeck(MultiLevelNeck):
    """mmseg's ``MultiLevelNeck`` pyramid for a plain ViT, followed by the
    ViT's last feature map untouched.

    Pyramid heads (Mask2Former's pixel decoder reads ``len(in_channels)``
    levels from the front) see strides 4, 8, 16, 32; heads that read
    ``in_index=-1`` (DEPICTHead) see the final-normed tokens exactly as
    without a neck. One backbone + neck thus carries either head, and only
    ``decode_head`` changes between the configs.

    Args:
        in_channels (List[int]): Channels of the ViT outputs, e.g.
            ``[384] * 4`` for ``out_indices=(3, 5, 7, 11)`` of ViT-S.
        out_channels (int): Channels of each pyramid level.
        scales (List[float]): Resize factor per level. Default: [4, 2, 1,
            0.5] (stride 16 -> 4, 8, 16, 32).
        **kwargs: Other ``MultiLevelNeck`` arguments.
    """

    def __init__(self,
                 in_channels: List[int],
                 out_channels: int,
                 scales: List[float] = [4, 2, 1, 0.5],
                 **kwargs) -> None:
        super().__init__(in_channels, out_channels, scales=scales, **kwargs)

    def forward(self, inputs: List[Tensor]) -> Tuple[Tensor, ...]:
        """
        Args:
            inputs (List[Tensor]): ViT feature maps, each (B, C, H/16, W/16);
                the last one is the final (normed) layer.

        Returns:
            tuple[Tensor]: ``len(scales)`` maps (B, out_channels, H*s/16,
            W*s/16), then ``inputs[-1]`` itself.
        """
        return tuple(super().forward(inputs)) + (inputs[-1], )
