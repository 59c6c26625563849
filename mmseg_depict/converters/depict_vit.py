"""Key mapping from the DEPICT / Segmenter release and timm ViTs to our
modules (mmseg ``VisionTransformer`` / ``DistilledVisionTransformer`` +
``DEPICTHead``). Checkpoint layouts: configs/depict/README.md."""
import importlib.util
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, Optional, Tuple

import mmseg
import torch
import torch.nn.functional as F
from torch import Tensor

#: Per-layout decoder prefixes of the Segmenter code base -> our head.
_DECODER_LAYOUTS = {
    'sa': {
        'decoder.net.layers.': 'decode_head.self_layers.',
        'decoder.decoder_norm.': 'decode_head.decoder_norm.',
    },
    'ca': {
        'decoder.snet.layers.': 'decode_head.self_layers.',
        'decoder.cnet.layers.': 'decode_head.cross_layers.',
        'decoder.snorm.': 'decode_head.patch_norm.',
        'decoder.cnorm.': 'decode_head.class_norm.',
    },
}
_DECODER_COMMON = {
    'decoder.cls_emb': 'decode_head.cls_emb',
    'decoder.mask_norm.': 'decode_head.mask_norm.',
}
# Inside a layer: `norm.*` stays, `fn.proj` / `fn.step_size` lose `fn.`.
_LAYER_FN = re.compile(r'(layers\.\d+\.)fn\.')


class UnknownCheckpointLayout(ValueError):
    """The checkpoint's keys match none of the known layouts."""


def _mmseg_convert_vit():
    """mmseg's own timm -> mmseg ViT key converter, shipped in its package
    data (``mmseg/.mim/tools/model_converters/vit2mmseg.py``)."""
    path = osp.join(
        osp.dirname(mmseg.__file__), '.mim', 'tools', 'model_converters',
        'vit2mmseg.py')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'mmseg ViT converter not found at {path}; install '
            'mmsegmentation from the package index')
    spec = importlib.util.spec_from_file_location('_mmseg_vit2mmseg', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.convert_vit


def resize_pos_embed(pos_embed: Tensor, num_extra_tokens: int,
                     grid: Tuple[int, int]) -> Tensor:
    """Resize the patch-grid part of a (1, extra + G*G, d) position embedding
    to ``grid`` as the Segmenter code base does at run time (bilinear,
    ``align_corners=False``); extra tokens are kept."""
    extra = pos_embed[:, :num_extra_tokens]
    patches = pos_embed[:, num_extra_tokens:]
    side = int(round(patches.shape[1]**0.5))
    if side * side != patches.shape[1]:
        raise ValueError(f'pos_embed has {patches.shape[1]} grid tokens after '
                         f'{num_extra_tokens} extra ones: not a square grid')
    if (side, side) == tuple(grid):
        return pos_embed
    patches = patches.reshape(1, side, side, -1).permute(0, 3, 1, 2)
    patches = F.interpolate(
        patches, size=tuple(grid), mode='bilinear', align_corners=False)
    return torch.cat((extra, patches.flatten(2).transpose(1, 2)), dim=1)


def convert_timm_vit(
    state: Dict[str, Tensor],
    grid: Optional[Tuple[int, int]] = None
) -> Tuple['OrderedDict[str, Tensor]', dict]:
    """timm ViT / DeiT(-distilled) weights -> mmseg ViT backbone keys.

    Args:
        state (dict): timm state dict (``blocks.*``, ``pos_embed``...).
        grid (tuple[int, int], optional): Patch grid (H/ps, W/ps) the
            position embedding is resized to; ``None`` keeps it.

    Returns:
        tuple: Converted state dict and info (``pos_embed_grid`` of the
        converted backbone, ``distilled``, ``embed_dims``, ``num_layers``).
    """
    if 'pos_embed' not in state or 'cls_token' not in state:
        raise UnknownCheckpointLayout(
            'not a timm ViT: expected cls_token and pos_embed, found keys '
            f'{sorted(state)[:8]}...')
    distilled = 'dist_token' in state
    # The distillation classifier has no place in a segmentation backbone.
    state = {k: v for k, v in state.items() if not k.startswith('head_dist.')}
    if grid is None:
        side = int(round((state['pos_embed'].shape[1] - 1 - distilled)**0.5))
        grid = (side, side)
    else:
        state['pos_embed'] = resize_pos_embed(state['pos_embed'],
                                              1 + distilled, grid)
    converted = _mmseg_convert_vit()(state)
    depth = len(
        {k.split('.')[1]
         for k in converted if k.startswith('layers.')})
    info = dict(
        pos_embed_grid=tuple(grid),
        distilled=distilled,
        embed_dims=state['cls_token'].shape[-1],
        num_layers=depth)
    return converted, info


def detect_depict_mode(keys) -> str:
    """``'sa'`` or ``'ca'`` from the decoder keys of a Segmenter checkpoint."""
    keys = list(keys)
    for mode, prefixes in _DECODER_LAYOUTS.items():
        if all(any(k.startswith(p) for k in keys) for p in prefixes):
            return mode
    decoder = sorted(
        {'.'.join(k.split('.')[:2])
         for k in keys if k.startswith('decoder.')})
    raise UnknownCheckpointLayout(
        'unknown DEPICT decoder layout: expected decoder.net.* (DEPICT-SA) or '
        'decoder.snet.* + decoder.cnet.* (DEPICT-CA), found '
        f'{decoder or "none"}')


def convert_depict(
    model_state: Dict[str, Tensor],
    grid: Optional[Tuple[int, int]] = None
) -> Tuple['OrderedDict[str, Tensor]', dict]:
    """A DEPICT / Segmenter ``model`` state dict -> our EncoderDecoder keys.

    Args:
        model_state (dict): ``encoder.*`` (timm ViT) and ``decoder.*``
            (MaskTransformer in SA or CA layout).
        grid (tuple[int, int], optional): Training patch grid of the target
            config; the position embedding is resized to it.

    Returns:
        tuple: Converted state dict and info (mode, sizes, classes).

    Raises:
        UnknownCheckpointLayout: for keys of any other layout.
    """
    mode = detect_depict_mode(model_state)
    encoder = {
        k[len('encoder.'):]: v
        for k, v in model_state.items() if k.startswith('encoder.')
    }
    backbone, info = convert_timm_vit(encoder, grid)
    converted = OrderedDict((f'backbone.{k}', v) for k, v in backbone.items())
    prefixes = dict(_DECODER_COMMON, **_DECODER_LAYOUTS[mode])
    for key, value in model_state.items():
        if key.startswith('encoder.'):
            continue
        prefix = next((p for p in prefixes if key.startswith(p)), None)
        if prefix is None:
            raise UnknownCheckpointLayout(
                f'unexpected key {key!r} in a DEPICT-{mode.upper()} '
                'checkpoint')
        new_key = prefixes[prefix] + key[len(prefix):]
        converted[_LAYER_FN.sub(r'\1', new_key)] = value
    info.update(
        mode=mode,
        num_classes=model_state['decoder.cls_emb'].shape[1],
        decoder_layers=_count_layers(converted, 'decode_head.self_layers.'),
        cross_layers=_count_layers(converted, 'decode_head.cross_layers.'))
    return converted, info


def _count_layers(state: dict, prefix: str) -> int:
    return len(
        {k[len(prefix):].split('.')[0]
         for k in state if k.startswith(prefix)})
