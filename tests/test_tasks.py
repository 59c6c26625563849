"""mmseg_depict/tasks.py: every config of ours has exactly one task, and
the two tasks do what mmseg's and mmdet's tools do with ``--out`` and
``--show-dir`` and with a RandomCrop's size."""
import glob
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from PIL import Image

from mmseg_depict.tasks import (TASKS, PanopticTask, SemanticTask,
                                config_dataset_meta, task_for_scope, task_of)
from tests.common import CONFIGS


def _configs():
    return sorted(
        p for p in glob.glob(osp.join(CONFIGS, '**', '*.py'), recursive=True)
        if '_base_' not in p)


def test_every_config_has_the_task_of_its_scope():
    tasks = {}
    for path in _configs():
        cfg = Config.fromfile(path)
        task = task_of(cfg)
        assert task.scope == cfg.get('default_scope', 'mmseg'), path
        tasks.setdefault(task.name, []).append(path)
        if task.panoptic:  # mmdet's panoptic models
            assert 'panoptic_head' in cfg.model or \
                'panoptic_fusion_head' in cfg.model or \
                cfg.model.type == 'PanopticDETR', path
        else:
            assert 'decode_head' in cfg.model, path
    assert set(tasks) == {'semantic', 'panoptic'}
    assert len(tasks['semantic']) > 20 and len(tasks['panoptic']) >= 3


def test_unknown_scope_is_named():
    with pytest.raises(ValueError, match="default_scope='mmpretrain'.*"
                       r"expected one of \('mmseg', 'mmdet'\)"):
        task_of(Config(dict(default_scope='mmpretrain')))
    assert task_of(Config(dict())) is TASKS['mmseg']


def test_crop_size_order():
    # mmseg's RandomCrop takes (h, w); mmdet's (w, h).
    assert SemanticTask().crop_size((512, 1024)) == (512, 1024)
    assert PanopticTask().crop_size((512, 1024)) == (1024, 512)
    for task in TASKS.values():
        assert task.crop_size_hw(task.crop_size((3, 4))) == (3, 4)


def test_test_outputs():
    semantic = Config(
        dict(
            visualizer=dict(type='SegLocalVisualizer'),
            test_evaluator=dict(type='IoUMetric')))
    task_for_scope('mmseg').set_test_outputs(semantic, 'preds', 'painted')
    assert semantic.visualizer.save_dir == 'painted'
    assert semantic.test_evaluator.output_dir == 'preds'
    assert semantic.test_evaluator.keep_results
    panoptic = Config(
        dict(default_hooks=dict(visualization=dict(type='x')),
             test_evaluator=dict(type='CocoPanopticMetric')))
    task_for_scope('mmdet').set_test_outputs(panoptic, 'out.pkl', 'painted')
    assert panoptic.default_hooks.visualization.test_out_dir == 'painted'
    assert 'output_dir' not in panoptic.test_evaluator
    with pytest.raises(ValueError, match='--out preds: mmdet configs dump'):
        task_for_scope('mmdet').set_test_outputs(panoptic, 'preds', None)


def test_dataset_meta_from_either_registry():
    semantic = Config.fromfile(
        osp.join(CONFIGS, 'camvid',
                 'fcn_efficientnet-lite0_1xb8-1k_camvid-256x256.py'))
    meta = config_dataset_meta(semantic)
    assert len(meta['classes']) == 11 and meta['classes'][0] == 'sky'
    assert all(isinstance(c, list) for c in meta['palette'])
    panoptic = [
        p for p in _configs() if 'coco' in osp.basename(p)
        and Config.fromfile(p).get('default_scope') == 'mmdet'
    ]
    meta = config_dataset_meta(Config.fromfile(panoptic[0]))
    assert len(meta['classes']) == 133
    assert len(meta['thing_classes']) == 80


def test_semantic_predictions_written_as_label_pngs(tmp_path):
    rng = np.random.default_rng(0)
    for num_classes, mode in ((11, 'L'), (300, 'I;16')):
        labels = rng.integers(0, num_classes, (5, 7))
        sample = SegDataSample(
            pred_sem_seg=PixelData(data=torch.from_numpy(labels)[None]))
        task = task_for_scope('mmseg')
        assert task.has_segments(sample, num_classes)
        writer = task.prediction_writer(
            str(tmp_path / str(num_classes)),
            dict(classes=[str(i) for i in range(num_classes)]))
        writer.add('sub/image.png', 'sub/image.jpg', (5, 7), sample)
        writer.close()
        with Image.open(tmp_path / str(num_classes) / 'labels' / 'sub' /
                        'image.png') as png:
            assert png.mode == mode
            assert np.array_equal(np.asarray(png), labels)


def test_panoptic_predictions_written_in_the_coco_panoptic_format(tmp_path):
    classes = ['person', 'car', 'road']  # void: label 3
    panoptic = np.full((6, 8), 3)
    panoptic[:3, :4] = 0 + 1 * INSTANCE_OFFSET  # person 1
    panoptic[3:, :2] = 0 + 2 * INSTANCE_OFFSET  # person 2
    panoptic[:, 5:] = 2  # road (stuff, no instance id)
    panoptic[0, 7] = 1 + 7 * INSTANCE_OFFSET  # car, one pixel
    task = task_for_scope('mmdet')

    def sample(values):
        return DetDataSample(
            pred_panoptic_seg=PixelData(
                sem_seg=torch.from_numpy(values)[None]))

    assert task.has_segments(sample(panoptic), len(classes))
    assert not task.has_segments(sample(np.full((6, 8), 3)), len(classes))
    writer = task.prediction_writer(
        str(tmp_path), dict(classes=classes, thing_classes=classes[:2]))
    writer.add('a.png', 'a.jpg', (6, 8), sample(panoptic))
    writer.add('b.png', 'b.jpg', (6, 8), sample(np.full((6, 8), 3)))
    writer.close()
    with open(tmp_path / 'panoptic.json') as f:
        coco = json.load(f)
    assert coco['categories'] == [
        dict(id=0, name='person', isthing=1),
        dict(id=1, name='car', isthing=1),
        dict(id=2, name='road', isthing=0)
    ]
    assert coco['images'] == [
        dict(id=0, file_name='a.jpg', height=6, width=8),
        dict(id=1, file_name='b.jpg', height=6, width=8)
    ]
    first, second = coco['annotations']
    assert second == dict(image_id=1, file_name='b.png', segments_info=[])
    # COCO panoptic ids: R + 256 G + 256^2 B, 0 = void.
    rgb = np.asarray(Image.open(tmp_path / 'panoptic' / 'a.png'), np.int64)
    ids = rgb[..., 0] + 256 * rgb[..., 1] + 256**2 * rgb[..., 2]
    assert not ids[panoptic == 3].any()
    assert len(first['segments_info']) == 4
    for segment in first['segments_info']:
        mask = ids == segment['id']
        value, = np.unique(panoptic[mask])
        assert np.array_equal(mask, panoptic == value)
        assert segment['category_id'] == value % INSTANCE_OFFSET
        assert segment['isthing'] == int(segment['category_id'] < 2)
        ys, xs = np.nonzero(mask)
        assert segment['area'] == mask.sum()
        assert segment['bbox'] == [
            xs.min(), ys.min(), xs.max() - xs.min() + 1,
            ys.max() - ys.min() + 1
        ]
