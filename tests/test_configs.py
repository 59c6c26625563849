"""Every config in configs/ builds its model on CPU (pretrained weights off)
and predicts a generated image through the ecosystem's own inference entry
point: ``mmseg.apis.init_model`` + ``inference_model`` for semantic configs,
``mmdet.apis.init_detector`` + ``inference_detector`` for panoptic ones.
Image scales and windows are shrunk to test size; every transform stays."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmengine.config import Config

from mmseg_depict.dataset_prep.synthetic.scenes import render_scene
from mmseg_depict.tasks import task_of
from .common import CONFIGS, shrink_for_inference

ALL_CONFIGS = sorted(
    osp.relpath(p, CONFIGS)
    for p in glob.glob(osp.join(CONFIGS, '**', '*.py'), recursive=True)
    if '_base_' not in p)


def test_config_folder_is_not_empty():
    assert len([c for c in ALL_CONFIGS if c.startswith('depict/')]) == 25


@pytest.fixture(scope='module')
def scene_file(tmp_path_factory) -> str:
    """A generated street scene, 64x96, as a JPEG file."""
    image, _ = render_scene(np.random.default_rng(7), 64, 96)
    path = str(tmp_path_factory.mktemp('scene') / 'scene.jpg')
    cv2.imwrite(path, image[..., ::-1])
    return path


#: Length of the pool of uniform draws below (prime: tensors of the usual
#: sizes do not line up with it).
POOL_SIZE = 1_000_003


@pytest.fixture
def pooled_initial_weights(monkeypatch):
    """Layers draw their initial weights from a pool of uniform numbers.

    What the test below checks is each config's way through the inference
    API (model build, data pipeline, output shapes, label ranges), for
    which any finite weights of the usual scale serve. Drawn one number at
    a time by ``Tensor.uniform_`` (PyTorch's default initialisation of
    linear and conv layers), ViT-L's 300 M weights took 1.8 s a model, and
    such draws ~40 % of this file's time; here each draw copies a stretch of
    the pool from a random start, scaled to the draw's interval (the file:
    48.9 s -> 34.4 s in one process).
    """
    pool = torch.rand(POOL_SIZE)
    starts = np.random.default_rng(0)
    draw_one_by_one = torch.Tensor.uniform_

    def uniform_(tensor, a=0.0, b=1.0, *, generator=None):
        if not tensor.is_contiguous() or generator is not None:
            return draw_one_by_one(tensor, a, b, generator=generator)
        flat = tensor.view(-1)
        start = int(
            starts.integers(POOL_SIZE - min(flat.numel(), POOL_SIZE) + 1))
        for begin in range(0, flat.numel(), POOL_SIZE):
            stretch = flat[begin:begin + POOL_SIZE]
            stretch.copy_(pool[start:start + stretch.numel()])
        flat.mul_(b - a).add_(a)
        return tensor

    monkeypatch.setattr(torch.Tensor, 'uniform_', uniform_)


@pytest.mark.parametrize('name', ALL_CONFIGS)
def test_config_predicts_through_inference_api(name, scene_file,
                                               pooled_initial_weights):
    cfg = shrink_for_inference(Config.fromfile(osp.join(CONFIGS, name)))
    if not task_of(cfg).panoptic:
        from mmseg.apis import inference_model, init_model
        model = init_model(cfg, None, device='cpu')
        result = inference_model(model, scene_file)
        num_classes = cfg.model.decode_head.num_classes
        assert result.seg_logits.data.shape == (num_classes, 64, 96)
        assert np.isfinite(result.seg_logits.data.numpy()).all()
        labels = result.pred_sem_seg.data
        assert labels.shape == (1, 64, 96)
        assert 0 <= labels.min() and labels.max() < num_classes
        return
    from mmdet.apis import inference_detector, init_detector
    model = init_detector(cfg, None, device='cpu')
    result = inference_detector(model, scene_file)
    if 'pred_panoptic_seg' in result:
        panoptic = result.pred_panoptic_seg.sem_seg
        assert panoptic.shape == (1, 64, 96)
        head = cfg.model.get('panoptic_head') or cfg.model.bbox_head
        num_classes = head.num_things_classes + head.num_stuff_classes
        labels = panoptic % INSTANCE_OFFSET  # num_classes = VOID
        assert ((labels >= 0) & (labels <= num_classes)).all()
    else:  # box-only DETR stage
        boxes = result.pred_instances.bboxes
        assert boxes.shape[-1] == 4
        assert (boxes[:, 2] <= 96 + 1e-3).all() and (boxes[:, 3]
                                                     <= 64 + 1e-3).all()
