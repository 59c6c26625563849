"""The registered mmdet PQ metric on mmdet-style samples: ground truth from a
COCO panoptic PNG + segments_info, predictions in mmdet's encoding."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.registry import METRICS
from mmengine.registry import DefaultScope

import mmseg_depict  # noqa: F401
from mmseg_depict.utils import id2rgb, rgb2id

CLASSES = ('person', 'car', 'sky', 'road')
THINGS = ('person', 'car')


def sample(tmp_path):
    """20x40: sky (rows 0-9), person (rows 10-19, cols 0-9), road (cols
    10-29), a crowd of cars (cols 30-39); the prediction misses the person
    (its road covers it) and puts a car on the crowd."""
    gt = np.zeros((20, 40), np.int64)
    gt[:10] = 1 + 256 * 7  # an id with a green component
    gt[10:, :10] = 3
    gt[10:, 10:30] = 2
    gt[10:, 30:] = 4
    path = str(tmp_path / 'frankfurt_000000_000019_gtFine_panoptic.png')
    cv2.imwrite(path, id2rgb(gt)[..., ::-1])
    segments_info = [
        dict(id=1 + 256 * 7, category=2, is_thing=False),
        dict(id=2, category=3, is_thing=False),
        dict(id=3, category=0, is_thing=True),
        dict(id=4, category=1, is_thing=False),  # crowd
    ]
    pan = np.full((20, 40), len(CLASSES))  # VOID
    pan[:10] = 2
    pan[10:, :30] = 3
    pan[10:, 30:] = 1 + 1 * INSTANCE_OFFSET
    return dict(
        img_id=0,
        img_path='frankfurt_000000_000019_leftImg8bit.png',
        seg_map_path=path,
        segments_info=segments_info,
        pred_panoptic_seg=dict(sem_seg=torch.from_numpy(pan)[None]))


def test_rgb_id_round_trip():
    ids = np.array([[0, 1, 256, 65536 + 5, 256**3 - 1]])
    np.testing.assert_array_equal(rgb2id(id2rgb(ids)), ids)


def test_metric_matches_hand_count(tmp_path):
    with DefaultScope.overwrite_default_scope('mmdet'):
        metric = METRICS.build(
            dict(
                type='PanopticQualityMetric',
                output_dir=str(tmp_path / 'out')))
    metric.dataset_meta = dict(classes=CLASSES, thing_classes=THINGS)
    metric.process({}, [sample(tmp_path)])
    result = metric.evaluate(1)
    road_iou = 200 / 300
    assert result['pq/PQ'] == pytest.approx(100 * (1 + road_iou + 0) / 3)
    assert result['pq/PQ_th'] == pytest.approx(0.0)  # person missed
    assert result['pq/PQ_st'] == pytest.approx(100 * (1 + road_iou) / 2)
    assert result['pq/SQ_st'] == pytest.approx(100 * (1 + road_iou) / 2)
    assert result['pq/RQ_th'] == pytest.approx(0.0)
    # Predictions written in the COCO panoptic format.
    with open(tmp_path / 'out' / 'panoptic.json') as f:
        written = json.load(f)
    annotation = written['annotations'][0]
    assert written['images'] == [
        dict(
            id=0,
            file_name='frankfurt_000000_000019_leftImg8bit.png',
            height=20,
            width=40)
    ]
    png = cv2.imread(
        osp.join(tmp_path, 'out', 'panoptic', annotation['file_name']))
    ids = rgb2id(png[..., ::-1])
    for segment in annotation['segments_info']:
        assert (ids == segment['id']).sum() == segment['area']
    assert sorted(s['category_id'] for s in annotation['segments_info']) == \
        [1, 2, 3]
    assert [c['isthing'] for c in written['categories']] == [1, 1, 0, 0]
