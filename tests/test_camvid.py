"""CamVid as the SegNet authors publish it: CamVidDataset reads the cloned
folder (void ignored), check_dataset.py knows the layout, and every config
of configs/camvid/ trains and tests on a generated CamVid-layout dataset
(random initialisation; the real data is never needed here)."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
from mmseg.registry import DATASETS

from .common import (CONFIGS, ONE_STEP, run_tool, small_config,
                     train_and_test_in_process)

CAMVID_CONFIGS = sorted(
    osp.relpath(p, CONFIGS)
    for p in glob.glob(osp.join(CONFIGS, 'camvid', '*.py')))


def test_every_semantic_head_has_a_camvid_config():
    heads = {osp.basename(c).split('_')[0] for c in CAMVID_CONFIGS}
    assert heads == {
        'depict-sa', 'depict-ca', 'segmenter', 'mask2former', 'detr-seg',
        'detr-seg-querymaps', 'fcn', 'segformer-head'
    }


def test_void_is_ignored_and_classes_kept(synthetic_roots):
    root = synthetic_roots['camvid']
    dataset = DATASETS.build(
        dict(
            type='CamVidDataset',
            data_root=root,
            data_prefix=dict(img_path='val', seg_map_path='valannot'),
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadAnnotations'),
            ]))
    assert len(dataset) == 2
    sample = dataset[0]
    stored = cv2.imread(sample['seg_map_path'], cv2.IMREAD_UNCHANGED)
    loaded = sample['gt_seg_map']
    assert (stored == 11).any()
    np.testing.assert_array_equal(loaded == 255, stored == 11)
    np.testing.assert_array_equal(loaded[stored != 11], stored[stored != 11])
    assert dataset.metainfo['classes'][2] == 'pole'


def test_class_subset_keeps_void_ignored(synthetic_roots):
    dataset = DATASETS.build(
        dict(
            type='CamVidDataset',
            data_root=synthetic_roots['camvid'],
            data_prefix=dict(img_path='val', seg_map_path='valannot'),
            metainfo=dict(classes=('sky', 'road', 'car')),
            pipeline=[dict(type='LoadAnnotations')]))
    label_map = dataset.metainfo['label_map']
    assert label_map[11] == 255 and label_map[0] == 0 and label_map[3] == 1
    assert len(dataset.metainfo['palette']) == 3


def test_check_dataset_knows_the_layout(synthetic_roots, tmp_path):
    root = synthetic_roots['camvid']
    proc = run_tool([
        'tools/misc/check_dataset.py', root, '--dataset', 'camvid',
        '--skip-counts'
    ])
    assert 'no problems found' in proc.stdout
    assert 'test: not present, skipped' in proc.stdout
    proc = run_tool(
        ['tools/misc/check_dataset.py', root, '--dataset', 'camvid'],
        check=False)
    assert proc.returncode == 1
    assert 'the official train split has 367' in proc.stdout


@pytest.mark.parametrize('config', CAMVID_CONFIGS)
def test_camvid_config_trains_and_tests(config, synthetic_roots, tmp_path):
    config = small_config(
        'camvid',
        synthetic_roots['camvid'],
        str(tmp_path),
        config=config,
        **ONE_STEP)
    validation, test = train_and_test_in_process(config,
                                                 str(tmp_path / 'work'))
    for metrics in (validation, test):
        assert 0 <= metrics['mIoU'] <= 100
    assert validation['mIoU'] == pytest.approx(test['mIoU'])


def test_cached_loading_returns_what_loading_does(synthetic_roots):
    """CachedTransforms (the CamVid training pipeline's loader) gives the
    arrays LoadImageFromFile + LoadAnnotations give, decodes each file once,
    and hands out copies that the random transforms may change."""
    from mmseg.registry import TRANSFORMS
    loading = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
    cached = TRANSFORMS.build(
        dict(type='CachedTransforms', transforms=loading))
    plain = [TRANSFORMS.build(t) for t in loading]
    dataset = DATASETS.build(
        dict(
            type='CamVidDataset',
            data_root=synthetic_roots['camvid'],
            data_prefix=dict(img_path='train', seg_map_path='trainannot'),
            pipeline=[]))
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        expected = dict(info)
        for t in plain:
            expected = t(expected)
        first = cached(dict(info))
        first['img'][:] = 0  # what a later transform might do in place
        again = cached(dict(info))
        for key in ('img', 'gt_seg_map'):
            np.testing.assert_array_equal(again[key], expected[key])
        assert again['img'] is not first['img']
    assert len(cached.cache) == len(dataset)
    with pytest.raises(KeyError, match='img_path'):
        cached({'seg_map_path': 'x.png'})
