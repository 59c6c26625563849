"""Run any config of ours through mmseg's or mmdet's own inference entry
points, with the checks a user needs before trusting the output.

The config's task (:mod:`mmseg_depict.tasks`) decides the tool set:
semantic (``mmseg``) configs go through ``mmseg.apis.init_model`` /
``MMSegInferencer`` (label maps), panoptic (``mmdet``) configs through
``mmdet.apis.init_detector`` / ``DetInferencer`` (panoptic maps). Two gaps
of those entry points are closed here:

* a checkpoint whose tensors do not fit the config (most often: trained for
  another number of classes) is only a warning in mmengine, and the model
  then predicts with random weights; here it is an error naming the
  checkpoint, the keys and the class counts;
* without a checkpoint, or with one that lacks ``meta.dataset_meta``, the
  inferencers fall back to Cityscapes / COCO class names; here the names
  and palette come from the config's test dataset instead.
"""
import copy
import os.path as osp
import warnings
from pathlib import Path
from typing import Optional, Tuple, Union

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)

from ..tasks import Task, config_dataset_meta, task_of

ConfigLike = Union[str, Path, Config]


class CheckpointMismatchError(ValueError):
    """The checkpoint's tensors do not fit the model the config builds."""


def load_inference_config(config: ConfigLike) -> Tuple[Config, Task]:
    """A config file (or a copy of a ``Config``) and its task (an error
    for an unsupported ``default_scope``)."""
    if isinstance(config, Config):
        cfg = copy.deepcopy(config)
    else:
        path = str(config)
        if not osp.isfile(path):
            raise FileNotFoundError(f'config file {path} does not exist')
        cfg = Config.fromfile(path)
    return cfg, task_of(cfg)


def model_num_classes(model: torch.nn.Module) -> Optional[int]:
    """Number of classes the model predicts (semantic or panoptic)."""
    head = getattr(model, 'decode_head', None)
    if head is not None:
        return int(head.num_classes)
    head = getattr(model, 'panoptic_head', None) or getattr(
        model, 'bbox_head', None)
    if head is not None and hasattr(head, 'num_things_classes'):
        return int(head.num_things_classes + head.num_stuff_classes)
    return None


def load_fitting_checkpoint(model: torch.nn.Module, checkpoint: str) -> dict:
    """Load a checkpoint into the model, refusing one that mmengine would
    load only in part (it warns and keeps random weights there).

    The file is read once; mmengine loads the checked dict into the model.

    Args:
        model (nn.Module): The model built from the config.
        checkpoint (str): Checkpoint file.

    Returns:
        dict: The checkpoint's ``meta`` (empty if it has none).

    Raises:
        CheckpointMismatchError: If a tensor's shape differs from the
            model's, the checkpoint has none of the model's keys, or its
            ``dataset_meta`` names another number of classes. The message
            names the checkpoint, up to five keys with both shapes and both
            class counts. Nothing is loaded then.
    """
    loaded = _load_checkpoint(checkpoint, map_location='cpu')
    state = loaded.get('state_dict', loaded)
    meta = loaded.get('meta') or {}
    state = {
        k[7:] if k.startswith('module.') else k: v
        for k, v in state.items()
    }
    expected = model.state_dict()
    shared = [k for k in state if k in expected]
    if not shared:
        raise CheckpointMismatchError(
            f"checkpoint '{checkpoint}' has none of the model's parameters "
            f'(its first keys: {list(state)[:3]}); a release checkpoint must '
            'be converted first (tools/model_converters/)')
    mismatched = [(k, tuple(state[k].shape), tuple(expected[k].shape))
                  for k in shared if state[k].shape != expected[k].shape]
    num_classes = model_num_classes(model)
    trained_classes = len(
        (meta.get('dataset_meta') or {}).get('classes') or []) or None
    if mismatched or None not in (trained_classes, num_classes) and \
            trained_classes != num_classes:
        classes = ''
        if num_classes is not None:
            found = f'{trained_classes} classes' if trained_classes else \
                'another number of classes'
            classes = (f'; the checkpoint was trained for {found}, the '
                       f'config sets num_classes={num_classes}')
        listed = ', '.join(f'{k}: checkpoint {a} vs model {b}'
                           for k, a, b in mismatched[:5])
        if len(mismatched) > 5:
            listed += f' (and {len(mismatched) - 5} more)'
        raise CheckpointMismatchError(
            f"checkpoint '{checkpoint}' does not fit the config's model"
            f"{': ' + listed if listed else ''}{classes}")
    _load_checkpoint_to_model(model, loaded)
    return meta


def _set_dataset_meta(model: torch.nn.Module, cfg: Config, task: Task,
                      checkpoint_meta: Optional[dict]) -> None:
    """The checkpoint's class names and palette, else the config's; for
    mmdet the config's palette first, as ``init_detector`` orders them."""
    meta = (checkpoint_meta or {}).get('dataset_meta')
    meta = {k.lower(): v for k, v in meta.items()} if meta else \
        config_dataset_meta(cfg)
    model.dataset_meta = task.model_meta(
        meta,
        getattr(model, 'dataset_meta', None) or {})


def init_inference_model(config: ConfigLike,
                         checkpoint: Optional[str] = None,
                         device: str = 'cpu') -> Tuple[torch.nn.Module, Task]:
    """Build a model with mmseg's ``init_model`` or mmdet's
    ``init_detector``, whichever the config's task asks for.

    Args:
        config (str | Path | Config): Config file or object.
        checkpoint (str, optional): Checkpoint to load; ``None`` keeps the
            initial weights.
        device (str): Torch device. Default: ``'cpu'``.

    Returns:
        tuple[nn.Module, Task]: The model in eval mode (``model.cfg`` and
        ``model.dataset_meta`` set) and its task (``task.scope``:
        ``'mmseg'`` or ``'mmdet'``).
    """
    cfg, task = load_inference_config(config)
    init_default_scope(task.scope)
    model = task.build_model(cfg, device)
    meta = None
    if checkpoint is not None:
        meta = load_fitting_checkpoint(model, checkpoint)
    _set_dataset_meta(model, model.cfg, task, meta)
    return model, task


def build_inferencer(config: ConfigLike,
                     checkpoint: Optional[str] = None,
                     device: str = 'cpu') -> Tuple[object, Task]:
    """``MMSegInferencer`` or ``DetInferencer`` for the config, whichever
    its task asks for.

    Args:
        config (str | Path | Config): Config file or object.
        checkpoint (str, optional): Checkpoint to load, checked against the
            config first (:func:`load_fitting_checkpoint`).
        device (str): Torch device. Default: ``'cpu'``.

    Returns:
        tuple: The inferencer and the config's :class:`Task`. The
        inferencer's ``model.dataset_meta`` names the classes of the
        checkpoint's dataset, or of the config's test dataset if the
        checkpoint does not record them.
    """
    cfg, task = load_inference_config(config)
    init_default_scope(task.scope)
    # Built without weights, then loaded here once, checked: the
    # inferencers would load a partial fit with only a warning. Their
    # warnings about running without weights do not apply then.
    with warnings.catch_warnings():
        if checkpoint is not None:
            for message in ('Checkpoint is not loaded', 'weights is None'):
                warnings.filterwarnings('ignore', message=message)
        inferencer = task.build_inferencer(cfg, device)
    meta = None
    if checkpoint is not None:
        meta = load_fitting_checkpoint(inferencer.model, checkpoint)
    _set_dataset_meta(inferencer.model, cfg, task, meta)
    # The visualizers took the meta of the weights-less model at start-up.
    task.set_visualizer_meta(inferencer.visualizer,
                             inferencer.model.dataset_meta)
    return inferencer, task
