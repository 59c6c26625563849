"""mmseg_depict/tasks.py: every config of ours has exactly one task, and
the two tasks do what mmseg's and mmdet's tools do with ``--out`` and
``--show-dir`` and with a RandomCrop's size."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

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
