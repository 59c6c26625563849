"""Key mapping from the DETR authors' panoptic checkpoints to
:class:`PanopticDETR` + :class:`DETRPanopticHead`. Checkpoint layout:
configs/detr_panoptic/README.md."""
import re
from collections import OrderedDict
from typing import Dict, List, Tuple

from torch import Tensor

from .depict_vit import UnknownCheckpointLayout

#: (source pattern, our name); the first match wins, groups are kept.
_RULES: List[Tuple[str, str]] = [
    (r'detr\.backbone\.0\.body\.(.*)', r'backbone.\1'),
    (r'detr\.input_proj\.(weight|bias)', r'neck.convs.0.conv.\1'),
    (r'detr\.query_embed\.weight', r'query_embedding.weight'),
    # Transformer layers: torch MultiheadAttention sits in mmcv's `.attn`.
    (r'detr\.transformer\.(encoder|decoder)\.layers\.(\d+)\.self_attn\.(.*)',
     r'\1.layers.\2.self_attn.attn.\3'),
    (r'detr\.transformer\.decoder\.layers\.(\d+)\.multihead_attn\.(.*)',
     r'decoder.layers.\1.cross_attn.attn.\2'),
    (r'detr\.transformer\.(encoder|decoder)\.layers\.(\d+)\.linear1\.(.*)',
     r'\1.layers.\2.ffn.layers.0.0.\3'),
    (r'detr\.transformer\.(encoder|decoder)\.layers\.(\d+)\.linear2\.(.*)',
     r'\1.layers.\2.ffn.layers.1.\3'),
    (r'detr\.transformer\.(encoder|decoder)\.layers\.(\d+)\.norm([123])\.(.*)',
     lambda m: f'{m[1]}.layers.{m[2]}.norms.{int(m[3]) - 1}.{m[4]}'),
    (r'detr\.transformer\.decoder\.norm\.(.*)', r'decoder.post_norm.\1'),
    (r'detr\.class_embed\.(.*)', r'bbox_head.fc_cls.\1'),
    (r'detr\.bbox_embed\.layers\.0\.(.*)', r'bbox_head.reg_ffn.layers.0.0.\1'),
    (r'detr\.bbox_embed\.layers\.1\.(.*)', r'bbox_head.reg_ffn.layers.1.\1'),
    (r'detr\.bbox_embed\.layers\.2\.(.*)', r'bbox_head.fc_reg.\1'),
    (r'bbox_attention\.(q_linear|k_linear)\.(.*)',
     r'bbox_head.attention_map.\1.\2'),
    # Mask head: lay1/gn1, lay2/gn2 -> stem; lay3..5/gn3..5 -> fpn_convs.
    (r'mask_head\.(lay|gn)([12])\.(.*)',
     lambda m: f'bbox_head.mask_head.stem.{int(m[2]) - 1}.'
     f'{0 if m[1] == "lay" else 1}.{m[3]}'),
    (r'mask_head\.(lay|gn)([345])\.(.*)',
     lambda m: f'bbox_head.mask_head.fpn_convs.{int(m[2]) - 3}.'
     f'{0 if m[1] == "lay" else 1}.{m[3]}'),
    (r'mask_head\.adapter([123])\.(.*)',
     lambda m: f'bbox_head.mask_head.adapters.{int(m[1]) - 1}.{m[2]}'),
    (r'mask_head\.out_lay\.(.*)', r'bbox_head.mask_head.out_conv.\1'),
]
_COMPILED = [(re.compile(p), r) for p, r in _RULES]


def convert_detr_panoptic(
        source: Dict[str, Tensor]) -> Tuple[OrderedDict, dict]:
    """Rename a DETR panoptic ``model`` state dict for our modules.

    Args:
        source (dict): The checkpoint's ``model`` entry.

    Returns:
        tuple: The converted state dict and facts read from it
        (``num_classes`` incl. no-object, ``num_queries``, ``depth`` of the
        ResNet, ``encoder_layers``, ``decoder_layers``).

    Raises:
        UnknownCheckpointLayout: If a key matches no rule or the mask
            branch is missing.
    """
    converted = OrderedDict()
    unknown = []
    for key, value in source.items():
        if key.endswith('num_batches_tracked'):
            continue  # frozen BN: never updated, not in our state dict
        for pattern, replacement in _COMPILED:
            match = pattern.fullmatch(key)
            if match:
                converted[match.expand(replacement) if isinstance(
                    replacement, str) else replacement(match)] = value
                break
        else:
            unknown.append(key)
    if unknown:
        raise UnknownCheckpointLayout(
            f'{len(unknown)} keys match no DETR panoptic rule, e.g. '
            f'{unknown[:5]}')
    if 'bbox_head.mask_head.out_conv.weight' not in converted:
        raise UnknownCheckpointLayout(
            'no mask_head.* keys: not a DETR panoptic checkpoint')
    layer3 = {
        k.split('.')[2]
        for k in converted if k.startswith('backbone.layer3.')
    }
    info = dict(
        num_classes=converted['bbox_head.fc_cls.weight'].shape[0],
        num_queries=converted['query_embedding.weight'].shape[0],
        depth={
            6: 50,
            23: 101
        }.get(len(layer3)),
        encoder_layers=len({
            k.split('.')[2]
            for k in converted if k.startswith('encoder.layers.')
        }),
        decoder_layers=len({
            k.split('.')[2]
            for k in converted if k.startswith('decoder.layers.')
        }))
    return converted, info
