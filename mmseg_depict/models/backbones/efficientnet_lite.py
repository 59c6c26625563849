"""EfficientNet-Lite (Tan & Le 2019; Google's ``efficientnet/lite`` release) as
an mmseg backbone with stride 4 / 8 / 16 / 32 outputs."""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

#: Lite0's stages as Google's ``efficientnet_lite_builder.py`` lists them:
#: (repeats, kernel size, stride of the first block, expand ratio,
#: output channels). Every other Lite model scales these.
LITE0_STAGES = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)

#: arch -> (width multiplier, depth multiplier), from the release.
ARCH_SETTINGS: Dict[str, Tuple[float, float]] = {
    'lite0': (1.0, 1.0),
    'lite1': (1.0, 1.1),
    'lite2': (1.1, 1.2),
    'lite3': (1.2, 1.4),
    'lite4': (1.4, 1.8),
}

STEM_CHANNELS = 32
HEAD_CHANNELS = 1280


def scaled_channels(channels: int, width: float, divisor: int = 8) -> int:
    """The release's ``round_filters``: ``channels * width`` to a multiple of
    ``divisor``, never more than 10 % below the product."""
    scaled = channels * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:
        rounded += divisor
    return int(rounded)


def stage_layout(arch: str) -> List[Tuple[int, int, int, int, int]]:
    """The stages of ``arch`` as ``(repeats, kernel, stride, expand,
    out_channels)``. Lite models keep the stem, the head and the first and
    last stages' depth unscaled (the release's ``fix_head_stem``)."""
    if arch not in ARCH_SETTINGS:
        raise KeyError(f'unknown EfficientNet-Lite arch {arch!r}; expected '
                       f'one of {sorted(ARCH_SETTINGS)}')
    width, depth = ARCH_SETTINGS[arch]
    layout = []
    for index, (repeats, kernel, stride, expand,
                channels) in enumerate(LITE0_STAGES):
        if 0 < index < len(LITE0_STAGES) - 1:
            repeats = int(math.ceil(depth * repeats))
        layout.append(
            (repeats, kernel, stride, expand, scaled_channels(channels,
                                                              width)))
    return layout


def _conv_cfg(stride: int) -> Optional[dict]:
    # TensorFlow's "same" padding is asymmetric only for strided convs; a
    # stride-1 odd kernel pads k // 2 on each side, which nn.Conv2d does
    # without the extra copy of mmcv's Conv2dAdaptivePadding.
    return dict(type='Conv2dAdaptivePadding') if stride > 1 else None


class MBConvBlock(BaseModule):
    """Inverted residual block of EfficientNet-Lite: 1x1 expansion (unless
    the ratio is 1), depthwise KxK, 1x1 projection, ReLU6, no
    squeeze-excitation; identity shortcut when shape is kept.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Depthwise kernel size.
        stride (int): Depthwise stride (1 or 2).
        expand_ratio (int): Hidden channels = ``in_channels * expand_ratio``.
        norm_cfg (dict): Normalisation layers.
        act_cfg (dict): Activation after expansion and depthwise conv.
        drop_path_rate (float): Stochastic depth on the residual branch.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int,
                 expand_ratio: int,
                 norm_cfg: dict,
                 act_cfg: dict,
                 drop_path_rate: float = 0.0) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        self.expand_conv = (
            ConvModule(
                in_channels,
                hidden,
                1,
                bias=False,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg) if expand_ratio != 1 else None)
        self.depthwise_conv = ConvModule(
            hidden,
            hidden,
            kernel_size,
            stride=stride,
            padding=kernel_size // 2,
            groups=hidden,
            bias=False,
            conv_cfg=_conv_cfg(stride),
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        self.project_conv = ConvModule(
            hidden,
            out_channels,
            1,
            bias=False,
            norm_cfg=norm_cfg,
            act_cfg=None)
        self.with_shortcut = stride == 1 and in_channels == out_channels
        self.drop_path = (
            DropPath(drop_path_rate)
            if self.with_shortcut and drop_path_rate > 0 else nn.Identity())

    def forward(self, x: Tensor) -> Tensor:
        out = x if self.expand_conv is None else self.expand_conv(x)
        out = self.project_conv(self.depthwise_conv(out))
        return x + self.drop_path(out) if self.with_shortcut else out


@MODELS.register_module()
class EfficientNetLite(BaseModule):
    """EfficientNet-Lite backbone (Lite0 to Lite4).

    The Lite models are EfficientNets made for mobile accelerators: ReLU6
    instead of swish, no squeeze-excitation, stem and head not scaled, and
    TensorFlow's "same" padding (one more pixel right / bottom than left / top
    on strided convs), which this module keeps so that the ImageNet weights
    see what they were trained on. ``tools/model_converters/
    efficientnet_lite2mmseg.py`` turns the released weights into ours.

    Layers, by index (``out_indices``): 0 the stem (stride 2, 32 channels),
    1 to 7 the seven stages, 8 the 1x1 head conv (1280 channels, the
    classifier's input). Lite0's stages 2, 3, 5 and 7 end at strides 4, 8, 16
    and 32 with 24, 40, 112 and 320 channels (the default outputs).

    Args:
        arch (str): ``'lite0'`` ... ``'lite4'``.
        out_indices (Sequence[int]): Layers whose outputs are returned.
        drop_path_rate (float): Stochastic depth of the last block; earlier
            blocks get linearly less (the release trains with 0.2).
        norm_cfg (dict): Normalisation layers; the release's BatchNorm has
            eps 1e-3 and (in PyTorch's convention) momentum 0.01.
        norm_eval (bool): Keep every BatchNorm in eval mode while training
            (running statistics frozen), for small batches.
        frozen_stages (int): Layers ``0 .. frozen_stages - 1`` get no
            gradient and stay in eval mode (0: none).
        channels_last (bool): Run the convolutions on NHWC tensors (the
            input is converted; outputs stay NHWC). Same values; PyTorch's
            oneDNN depthwise convolutions are faster this way on a CPU
            (configs/camvid/README.md has the measurement).
        init_cfg (dict, optional): E.g. ``dict(type='Pretrained',
            checkpoint='pretrain/efficientnet-lite0_in1k.pth')``.
    """

    def __init__(self,
                 arch: str = 'lite0',
                 out_indices: Sequence[int] = (2, 3, 5, 7),
                 drop_path_rate: float = 0.0,
                 norm_cfg: dict = dict(
                     type='BN', eps=1e-3, momentum=0.01, requires_grad=True),
                 norm_eval: bool = False,
                 frozen_stages: int = 0,
                 channels_last: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        layout = stage_layout(arch)
        num_layers = len(layout) + 2
        bad = [i for i in out_indices if not 0 <= i < num_layers]
        if bad:
            raise ValueError(f'out_indices {bad} are not layer indices '
                             f'0..{num_layers - 1} of EfficientNet-Lite')
        if not 0 <= frozen_stages <= num_layers:
            raise ValueError(f'frozen_stages={frozen_stages} is not in '
                             f'0..{num_layers}')
        self.arch = arch
        self.out_indices = tuple(out_indices)
        self.norm_eval = norm_eval
        self.frozen_stages = frozen_stages
        self.channels_last = channels_last
        act_cfg = dict(type='ReLU6')

        self.layers = nn.ModuleList([
            ConvModule(
                3,
                STEM_CHANNELS,
                3,
                stride=2,
                bias=False,
                conv_cfg=_conv_cfg(2),
                norm_cfg=norm_cfg,
                act_cfg=act_cfg)
        ])
        num_blocks = sum(stage[0] for stage in layout)
        in_channels, block_index = STEM_CHANNELS, 0
        self.out_channels: List[int] = [STEM_CHANNELS]
        for repeats, kernel, stride, expand, channels in layout:
            blocks = []
            for repeat in range(repeats):
                blocks.append(
                    MBConvBlock(
                        in_channels,
                        channels,
                        kernel,
                        stride if repeat == 0 else 1,
                        expand,
                        norm_cfg=norm_cfg,
                        act_cfg=act_cfg,
                        drop_path_rate=drop_path_rate * block_index /
                        num_blocks))
                in_channels, block_index = channels, block_index + 1
            self.layers.append(nn.Sequential(*blocks))
            self.out_channels.append(channels)
        self.layers.append(
            ConvModule(
                in_channels,
                HEAD_CHANNELS,
                1,
                bias=False,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg))
        self.out_channels.append(HEAD_CHANNELS)
        # Nothing after the last requested output is computed.
        self.num_used_layers = max(self.out_indices) + 1

    def init_weights(self) -> None:
        if self.init_cfg is not None:
            super().init_weights()
            return
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(
                    module.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(module, _BatchNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Args:
            x (Tensor): Images (B, 3, H, W), any size.

        Returns:
            tuple[Tensor]: One map per ``out_indices`` entry, (B, C_i,
            ceil(H / s_i), ceil(W / s_i)).
        """
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        outs = []
        for index in range(self.num_used_layers):
            x = self.layers[index](x)
            if index in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def train(self, mode: bool = True) -> 'EfficientNetLite':
        super().train(mode)
        for index in range(self.frozen_stages):
            layer = self.layers[index]
            layer.eval()
            for param in layer.parameters():
                param.requires_grad = False
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self
