from dataclasses import dataclass
from typing import List, Optional, Sequence

from torch import Tensor


@dataclass
class DETRMaskFeatures:
    """What DETR's mask branch reads besides the decoder states.

    Attributes:
        memory (Tensor): (B, C, h, w) encoder memory.
        memory_mask (Tensor, optional): (B, h, w), True where padded.
        feature (Tensor): (B, C, h, w) projected stride-32 feature.
        fpn_feats (list[Tensor]): Backbone maps from coarse to fine (res4,
            res3, res2), each (B, c_i, h_i, w_i).
    """
    memory: Tensor
    memory_mask: Optional[Tensor]
    feature: Tensor
    fpn_feats: List[Tensor]

    @classmethod
    def from_encoder(cls, memory_tokens: Tensor, padding: Optional[Tensor],
                     feature: Tensor,
                     backbone_feats: Sequence[Tensor]) -> 'DETRMaskFeatures':
        """From the encoder's token sequence.

        Args:
            memory_tokens (Tensor): (B, h*w, C) encoder output.
            padding (Tensor, optional): (B, h*w), True where padded.
            feature (Tensor): (B, C, h, w) the encoder's input feature.
            backbone_feats (Sequence[Tensor]): Backbone maps fine to coarse
                (res2, res3, res4).
        """
        b, c, h, w = feature.shape
        return cls(
            memory=memory_tokens.transpose(1, 2).reshape(b, c, h, w),
            memory_mask=None if padding is None else padding.view(b, h, w),
            feature=feature,
            fpn_feats=list(backbone_feats[::-1]))

    def images(self, start: int, stop: int) -> 'DETRMaskFeatures':
        """The features of images ``start:stop`` of the batch."""
        return DETRMaskFeatures(
            self.memory[start:stop],
            None if self.memory_mask is None else self.memory_mask[start:stop],
            self.feature[start:stop], [f[start:stop] for f in self.fpn_feats])
