import warnings
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model.weight_init import trunc_normal_
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from torch import Tensor

from ..layers import SubspaceAttention
from ..utils import FusedDecodeLossMixin


@MODELS.register_module()
class DEPICTHead(FusedDecodeLossMixin, BaseDecodeHead):
    """DEPICT decoder ("compression is all you need", NeurIPS 2024).

    Works on the final-normed patch tokens of the last ViT layer. Learnable
    class embeddings ``C`` (K, d) and the patch tokens are refined by
    subspace attention layers; masks are the cosine similarities of patches
    and classes followed by a LayerNorm over the K classes.

    * ``mode='sa'`` (DEPICT-SA): ``[x; C]`` -> ``num_layers`` self layers
      -> LayerNorm -> split into patches and classes.
    * ``mode='ca'`` (DEPICT-CA): patches = ``LN_s(self^num_layers(x))``;
      classes = ``LN_c(cross^num_cross_layers(patches, query=C))``.

    Args:
        in_channels (int): Token width ``d`` of the backbone.
        num_classes (int): Number of classes ``K``.
        mode (str): ``'sa'`` or ``'ca'``. Default: ``'sa'``.
        num_layers (int): Self-attention layers. Default: 3.
        num_heads (int): Subspaces per layer. Default: 3.
        dim_head (int): Subspace width of self layers. Default: 100.
        cross_dim_head (int): Subspace width of cross layers. Default: 50.
        num_cross_layers (int): Cross-attention layers (``'ca'``). Default: 3.
        attn_drop_rate (float): Dropout on the attention weights (every
            released setting: 0). Default: 0.
        dropout_ratio (float, deprecated): The old name of
            ``attn_drop_rate``; in other mmseg heads it means the dropout
            before the classifier, which DEPICT does not have.
        init_cfg (dict, optional): mmengine initialisation config.
        fused_loss (bool): Training loss without image-size logits in
            memory (:class:`~mmseg_depict.models.utils.FusedDecodeLossMixin`,
            default); ``False`` runs mmseg's ``loss_by_feat``.
        **kwargs: Passed to :class:`BaseDecodeHead` (``loss_decode``,
            ``ignore_index``, ``align_corners``, ``in_index``...).
    """

    MODES = ('sa', 'ca')

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 mode: str = 'sa',
                 num_layers: int = 3,
                 num_heads: int = 3,
                 dim_head: int = 100,
                 cross_dim_head: int = 50,
                 num_cross_layers: int = 3,
                 attn_drop_rate: float = 0.0,
                 dropout_ratio: Optional[float] = None,
                 init_cfg=None,
                 **kwargs) -> None:
        if dropout_ratio is not None:
            warnings.warn(
                'DEPICTHead: `dropout_ratio` is deprecated, use '
                '`attn_drop_rate` (it is the dropout on the attention '
                'weights)',
                FutureWarning,
                stacklevel=2)
            attn_drop_rate = dropout_ratio
        if mode not in self.MODES:
            raise ValueError(f'DEPICTHead: unknown mode {mode!r}; valid modes '
                             f'are {", ".join(map(repr, self.MODES))}')
        super().__init__(
            in_channels=in_channels,
            channels=in_channels,
            num_classes=num_classes,
            dropout_ratio=0.0,  # no classifier: nothing to drop before it
            init_cfg=init_cfg,
            **kwargs)
        # Classes come from cosine similarity, not a 1x1 classifier.
        del self.conv_seg
        self.mode = mode
        d = in_channels

        def layers(n: int, head_dims: int) -> nn.ModuleList:
            return nn.ModuleList(
                SubspaceAttention(d, num_heads, head_dims, attn_drop_rate)
                for _ in range(n))

        self.cls_emb = nn.Parameter(torch.empty(1, num_classes, d))
        self.self_layers = layers(num_layers, dim_head)
        if mode == 'sa':
            self.decoder_norm = nn.LayerNorm(d)
        else:
            self.cross_layers = layers(num_cross_layers, cross_dim_head)
            self.patch_norm = nn.LayerNorm(d)
            self.class_norm = nn.LayerNorm(d)
        self.mask_norm = nn.LayerNorm(num_classes)
        # LayerNorms start at weight 1 / bias 0 (torch's default); the layers
        # initialise their projections and step sizes themselves.
        trunc_normal_(self.cls_emb, std=0.02)

    def decode(self, tokens: Tensor) -> Tuple[Tensor, Tensor]:
        """Refine patch tokens and class embeddings.

        Args:
            tokens (Tensor): Patch tokens, shape (B, N, d).

        Returns:
            tuple[Tensor, Tensor]: patches (B, N, d) and classes (B, K, d),
            before L2 normalisation.
        """
        num_patches = tokens.shape[1]
        classes = self.cls_emb.expand(tokens.shape[0], -1, -1)
        if self.mode == 'sa':
            x = torch.cat((tokens, classes), dim=1)
            for layer in self.self_layers:
                x = layer(x)
            x = self.decoder_norm(x)
            return x[:, :num_patches], x[:, num_patches:]
        x = tokens
        for layer in self.self_layers:
            x = layer(x)
        x = self.patch_norm(x)
        for layer in self.cross_layers:
            classes = layer(x, query=classes)
        return x, self.class_norm(classes)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Compute mask logits.

        Args:
            inputs (list[Tensor]): Backbone outputs; the selected one has
                shape (B, d, h, w).

        Returns:
            Tensor: Segmentation logits, shape (B, K, h, w).
        """
        x = self._transform_inputs(inputs)
        batch, _, h, w = x.shape
        patches, classes = self.decode(x.flatten(2).transpose(1, 2))
        patches = F.normalize(patches, dim=-1)
        classes = F.normalize(classes, dim=-1)
        masks = self.mask_norm(patches @ classes.transpose(1, 2))
        # Contiguous (B, K, h, w): mmseg's loss (fused_loss=False) upsamples
        # and back-propagates channels-last logits several times slower.
        return masks.transpose(1, 2).contiguous().view(batch, -1, h, w)

    def predict_by_feat(self, seg_logits: Tensor,
                        batch_img_metas: List[dict]) -> Tensor:
        """mmseg's resize of the logits to the input size, channels-last.

        The values are mmseg's (the same bilinear kernel); on that layout
        PyTorch's CPU upsampling and the per-pixel arg-max over classes in
        ``postprocess_result`` read contiguous classes and run faster (the
        inference rows of ``benchmark_speedups.py --parts vit`` include it).

        Args:
            seg_logits (Tensor): Head output, shape (B, K, h, w).
            batch_img_metas (list[dict]): Image metas (``img_shape`` /
                ``pad_shape``).

        Returns:
            Tensor: (B, K, H, W) logits in channels-last memory format.
        """
        return super().predict_by_feat(
            seg_logits.contiguous(memory_format=torch.channels_last),
            batch_img_metas)
