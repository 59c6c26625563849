"""Build a config's model for analysis and count its FLOPs, whole and head
(shared by tools/analysis_tools/get_flops.py and compare_heads.py)."""
import inspect
from typing import Tuple

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope, init_default_scope

from ..tasks import Task, task_of
from .complexity import count_multiply_adds


class FeatureForward(nn.Module):
    """Traceable ``model.extract_feat(img)``: backbone and neck."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, img):
        return tuple(self.model.extract_feat(img))


def data_samples(task: Task, shape: Tuple[int, int]) -> list:
    """One data sample of the task's library with an unpadded ``shape``
    image's meta."""
    return [
        task.data_sample_type()(metainfo=dict(
            batch_input_shape=shape,
            img_shape=shape,
            pad_shape=shape,
            ori_shape=shape))
    ]


class HeadForward(nn.Module):
    """Traceable head call on backbone (and neck) features. Heads whose
    forward takes data samples (Mask2Former in mmseg and mmdet) get one with
    the input's shape."""

    def __init__(self, model: nn.Module, shape, task: Task) -> None:
        super().__init__()
        self.head = getattr(model, 'decode_head', None) or model.panoptic_head
        self.samples = None
        if 'batch_data_samples' in inspect.signature(
                self.head.forward).parameters:
            self.samples = data_samples(task, shape)

    def forward(self, *feats):
        if self.samples is None:
            return self.head(list(feats))
        return self.head(list(feats), self.samples)


def build_model(cfg: Config) -> Tuple[nn.Module, Task]:
    """The config's model without pretrained weights, and its task."""
    task = task_of(cfg)
    init_default_scope(task.scope)
    if 'pretrained' in cfg.model:
        cfg.model.pretrained = None
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope(task.scope):
        model = task.registry('MODELS').build(cfg.model)
    return model, task


def default_shape(cfg: Config) -> Tuple[int, int]:
    size = cfg.model.get('data_preprocessor', {}).get('size') or \
        cfg.model.backbone.get('img_size', (512, 512))
    return tuple(size) if isinstance(size, (list, tuple)) else (size, size)


def count_params(module: nn.Module) -> float:
    """Millions of parameters."""
    return sum(p.numel() for p in module.parameters()) / 1e6


def model_and_head_macs(model: nn.Module, task: Task,
                        shape: Tuple[int, int]) -> Tuple[int, int, nn.Module]:
    """Multiply-adds of the whole model and of its head on one image.

    Returns:
        tuple: model MACs, head MACs and the traced head module.
    """
    img = torch.randn(1, 3, *shape)
    model.eval()
    with torch.no_grad():
        feats = tuple(model.extract_feat(img))
        head = HeadForward(model, shape, task)
        head_macs = count_multiply_adds(head, feats)
        model_macs = count_multiply_adds(FeatureForward(model),
                                         (img, )) + head_macs
    return model_macs, head_macs, head
