"""``--compile``: ``torch.compile`` on a model's forward path only.

mmengine 0.10.7's ``compile=True`` compiles the Runner's whole
``model.train_step``, optimizer step included: under torch 2.13, on a config
whose optimizer has ``paramwise_cfg`` parameter groups (the quick start's),
dynamo stops inside ``torch/optim/adam.py`` (``InternalTorchDynamoError:
AttributeError: 'UserDefinedDictVariable' object has no attribute 'items'``),
and val / test are never compiled. Here the network's parts are compiled one
by one (their ``forward`` replaced on the instance, so parameters, state-dict
keys and checkpoints are unchanged), in training, validation and test alike;
the loss, the optimizer and the data handling stay eager.

Parts that cannot be compiled stay eager and are named in the log:

* mmcv's ``MultiScaleDeformableAttention`` (Mask2Former's pixel decoder)
  calls a compiled C++ / CUDA op through a custom autograd Function;
* mmdet heads run the Hungarian matcher (scipy, on the host) and DETR's
  transformer sees a different padded size per batch.
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import print_log

#: Sub-modules of a segmentor / detector compiled, in this order, when present.
COMPILED_PARTS = ('backbone', 'neck', 'decode_head', 'auxiliary_head')

#: Module class names that keep a part eager, and why.
EAGER_REASONS = {
    'MultiScaleDeformableAttention':
    "mmcv's deformable attention is a custom autograd Function over a C++ "
    '/ CUDA op',
}

#: Why the other parts of a model (an mmdet detector's heads, DETR's
#: transformer) stay eager.
DETECTOR_REASON = ('mmdet detector part: Hungarian matcher (scipy, on the '
                   'host) or a transformer over a per-batch padded size')


def take_compile_option(cfg: Config, flag: bool) -> Optional[dict]:
    """Settle ``--compile`` and mmengine's ``compile`` key of a config.

    mmengine would compile ``train_step`` (optimizer included) for a truthy
    ``compile`` key; it is taken over here and mmengine's is switched off.

    Args:
        cfg (Config): The config; its ``compile`` key becomes False.
        flag (bool): ``--compile`` was given.

    Returns:
        dict | None: ``torch.compile`` keyword arguments (from a dict-valued
        ``compile`` key), or None to run eagerly.
    """
    option = cfg.get('compile', False)
    cfg.compile = False
    if not (flag or option):
        return None
    if isinstance(option, dict):
        return dict(option)
    return {}


def _segmentor(model: nn.Module) -> nn.Module:
    """The segmentor / detector inside DDP and TTA wrappers."""
    while not any(hasattr(model, part) for part in COMPILED_PARTS) \
            and hasattr(model, 'module'):
        model = model.module
    return model


def _eager_reason(part: nn.Module) -> Optional[str]:
    """Why ``part`` cannot be compiled, or None."""
    for m in part.modules():
        reason = EAGER_REASONS.get(type(m).__name__)
        if reason:
            return f'{type(m).__name__}: {reason}'
    return None


def compile_forward(
        model: nn.Module,
        compile_kwargs: Optional[Dict] = None
) -> Tuple[List[str], Dict[str, str]]:
    """Compile the forward of a model's backbone, neck and decode head.

    Each part's ``forward`` is replaced by ``torch.compile(part.forward)`` on
    the instance: ``self.forward(...)`` calls (mmseg's decode heads call it
    directly) and ``part(...)`` calls both go through it, and the module's
    parameters and state-dict keys stay as they are.

    Args:
        model (nn.Module): A segmentor or detector, possibly wrapped (DDP,
            TTA).
        compile_kwargs (dict, optional): Passed to ``torch.compile``.

    Returns:
        tuple[list[str], dict[str, str]]: The compiled part names and, for
        the parts left eager, why.
    """
    model = _segmentor(model)
    compiled, eager = [], {}
    for name in COMPILED_PARTS:
        part = getattr(model, name, None)
        if not isinstance(part, nn.Module):
            continue
        reason = _eager_reason(part)
        if reason:
            eager[name] = reason
            continue
        part.forward = torch.compile(part.forward, **(compile_kwargs or {}))
        compiled.append(name)
    for name, part in model.named_children():
        if name not in COMPILED_PARTS and name != 'data_preprocessor' \
                and any(True for _ in part.parameters()):
            eager[name] = DETECTOR_REASON
    if not compiled:
        raise RuntimeError(
            f'--compile: no part of {type(model).__name__} can be compiled '
            f'({"; ".join(f"{k}: {v}" for k, v in eager.items())})')
    message = f'--compile: torch.compile on {", ".join(compiled)}'
    if eager:
        message += '; eager: ' + '; '.join(f'{k} ({v})'
                                           for k, v in eager.items())
    print_log(message, logger='current')
    return compiled, eager
