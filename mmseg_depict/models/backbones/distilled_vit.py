from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model.weight_init import trunc_normal_
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor

from .fused_vit import FusedVisionTransformer


@MODELS.register_module()
class DistilledVisionTransformer(FusedVisionTransformer):
    """mmseg's ViT with DeiT's distillation token (fused attention as
    :class:`FusedVisionTransformer`).

    DeiT-distilled encoders (as in the Segmenter / DEPICT releases) prepend a
    second learned token after the class token; both attend with the patches
    and both are dropped from the output. The position embedding holds the two
    extra tokens followed by the patch grid.

    Args:
        **kwargs: As for :class:`FusedVisionTransformer`;
            ``with_cls_token`` must stay True and ``output_cls_token`` False.
    """

    num_extra_tokens = 2

    def __init__(self, **kwargs) -> None:
        if not kwargs.get('with_cls_token', True) or kwargs.get(
                'output_cls_token', False):
            raise ValueError('DistilledVisionTransformer keeps the class '
                             'token and outputs patch tokens only')
        super().__init__(**kwargs)
        dims = self.cls_token.shape[-1]
        self.dist_token = nn.Parameter(torch.zeros(1, 1, dims))
        grid = self.pos_embed.shape[1] - 1
        self.pos_embed = nn.Parameter(
            torch.zeros(1, grid + self.num_extra_tokens, dims))

    def init_weights(self) -> None:
        super().init_weights()
        if not (isinstance(self.init_cfg, dict)
                and self.init_cfg.get('type') == 'Pretrained'):
            trunc_normal_(self.dist_token, std=.02)

    @staticmethod
    def resize_pos_embed(pos_embed: Tensor, input_shpae: Sequence[int],
                         pos_shape: Sequence[int], mode: str) -> Tensor:
        """Resize the patch grid part, keeping every extra token."""
        pos_h, pos_w = pos_shape
        extra = pos_embed[:, :-pos_h * pos_w]
        grid = pos_embed[:, -pos_h * pos_w:].reshape(1, pos_h, pos_w, -1)
        grid = resize(
            grid.permute(0, 3, 1, 2),
            size=input_shpae,
            align_corners=False,
            mode=mode)
        return torch.cat((extra, grid.flatten(2).transpose(1, 2)), dim=1)

    def _pos_embeding(self, patched_img: Tensor, hw_shape: Tuple[int, int],
                      pos_embed: Tensor) -> Tensor:
        if patched_img.shape[1] != pos_embed.shape[1]:
            pos_shape = (self.img_size[0] // self.patch_size,
                         self.img_size[1] // self.patch_size)
            pos_embed = self.resize_pos_embed(pos_embed, hw_shape, pos_shape,
                                              self.interpolate_mode)
        return self.drop_after_pos(patched_img + pos_embed)

    def forward(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """Args:
            inputs (Tensor): Images (B, 3, H, W).

        Returns:
            tuple[Tensor]: Patch tokens (B, C, H/ps, W/ps) of the layers in
            ``out_indices``, the last one after the final norm.
        """
        batch = inputs.shape[0]
        x, hw_shape = self.patch_embed(inputs)
        extra = torch.cat((self.cls_token, self.dist_token),
                          dim=1).expand(batch, -1, -1)
        x = self._pos_embeding(
            torch.cat((extra, x), dim=1), hw_shape, self.pos_embed)
        if self.pre_norm:
            x = self.pre_ln(x)
        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i == len(self.layers) - 1 and self.final_norm:
                x = self.norm1(x)
            if i in self.out_indices:
                patches = x[:, self.num_extra_tokens:]
                outs.append(
                    patches.reshape(batch, *hw_shape,
                                    -1).permute(0, 3, 1, 2).contiguous())
        return tuple(outs)
