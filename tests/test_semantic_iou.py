"""tools/evaluation/semantic_iou.py equals mmseg's IoUMetric on the same
label maps (mmseg's own LoadAnnotations reads them), and names bad input."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.evaluation import IoUMetric

from .common import run_tool

K = 12


def write_pairs(root, n=6, shape=(40, 56), seed=0):
    """ADE20K-style files (0 = ignored, v = class v - 1), labels in a nested
    folder, predictions flat as mmseg's IoUMetric(output_dir) writes them."""
    rng = np.random.default_rng(seed)
    gt_dir, pred_dir = osp.join(root, 'gt'), osp.join(root, 'pred')
    os.makedirs(osp.join(gt_dir, 'city'))
    os.makedirs(pred_dir)
    pairs = []
    for i in range(n):
        gt = rng.integers(0, K + 1, shape).astype(np.uint8)
        gt[rng.random(shape) < 0.05] = 255  # ignored in the file as well
        if i == 0:
            gt[gt == 3] = 4  # class 2 absent from one image's labels
        pred = np.where(
            rng.random(shape) < 0.7, gt, rng.integers(1, K + 1, shape))
        pred = np.where(pred == 255, 1, pred).astype(np.uint8)
        gt_path = osp.join(gt_dir, 'city', f'img{i}.png')
        pred_path = osp.join(pred_dir, f'img{i}.png')
        cv2.imwrite(gt_path, gt)
        cv2.imwrite(pred_path, pred)
        pairs.append((gt_path, pred_path))
    return gt_dir, pred_dir, pairs


def mmseg_label_maps(pairs):
    """(label, prediction) int64 tensors of each pair, as mmseg's own
    LoadAnnotations reads and reduces them."""
    load = LoadAnnotations(reduce_zero_label=True)
    for paths in pairs:
        yield tuple(
            torch.from_numpy(
                load(
                    dict(
                        seg_map_path=path,
                        reduce_zero_label=True,
                        seg_fields=[]))['gt_seg_map'].astype(np.int64))
            for path in paths)


def mmseg_metrics(pairs):
    totals = [torch.zeros(K, dtype=torch.float64) for _ in range(4)]
    for gt, pred in mmseg_label_maps(pairs):
        areas = IoUMetric.intersect_and_union(pred, gt, K, 255)
        for total, area in zip(totals, areas):
            total += area.double()
    return IoUMetric.total_area_to_metrics(*totals, ['mIoU'])


def test_equals_mmseg_iou_metric(tmp_path):
    gt_dir, pred_dir, pairs = write_pairs(str(tmp_path))
    out = str(tmp_path / 'metrics.json')
    proc = run_tool([
        'tools/evaluation/semantic_iou.py', gt_dir, pred_dir,
        '--num-classes',
        str(K), '--reduce-zero-label', '--nproc', '2', '--out', out
    ])
    assert '| Class | IoU | Acc |' in proc.stdout
    assert 'peak memory' in proc.stdout
    with open(out) as f:
        ours = json.load(f)
    expected = mmseg_metrics(pairs)
    assert ours['images'] == len(pairs)
    np.testing.assert_allclose(
        ours['aAcc'], float(expected['aAcc']), rtol=0, atol=1e-12)
    for key in ('IoU', 'Acc'):
        np.testing.assert_allclose(
            np.array(ours[key], float),
            np.asarray(expected[key], float),
            rtol=0,
            atol=1e-12,
            equal_nan=True)
    assert ours['mIoU'] == pytest.approx(
        np.nanmean(expected['IoU']), abs=1e-12)
    # What IoUMetric itself reports (rounded to 2 decimals, in percent).
    metric = IoUMetric()
    metric.dataset_meta = dict(classes=[str(k) for k in range(K)])
    for gt, pred in mmseg_label_maps(pairs):
        metric.process({}, [
            dict(
                pred_sem_seg=dict(data=pred[None]),
                gt_sem_seg=dict(data=gt[None]))
        ])
    reported = metric.compute_metrics(metric.results)
    assert reported['mIoU'] == round(100 * ours['mIoU'], 2)
    assert reported['aAcc'] == round(100 * ours['aAcc'], 2)


def test_bad_input_is_named(tmp_path):
    gt_dir, pred_dir, pairs = write_pairs(str(tmp_path), n=3)

    def run(*extra):
        return run_tool([
            'tools/evaluation/semantic_iou.py', gt_dir, pred_dir,
            '--num-classes',
            str(K), '--reduce-zero-label', *extra
        ],
                        check=False)

    cv2.imwrite(pairs[0][1], np.zeros((8, 8), np.uint8))
    proc = run()
    assert proc.returncode
    assert f"prediction '{pairs[0][1]}' is 8x8" in proc.stderr
    cv2.imwrite(pairs[0][1], np.full((40, 56), K + 1, np.uint8))
    proc = run()
    assert proc.returncode
    assert f"'{pairs[0][1]}' holds class {K}" in proc.stderr
    cv2.imwrite(pairs[0][1], np.zeros((40, 56, 3), np.uint8))
    proc = run()
    assert proc.returncode and 'has 3 channels' in proc.stderr
    os.remove(pairs[1][1])
    proc = run()
    assert proc.returncode and 'no prediction for 1 of 3' in proc.stderr
    assert 'img1.png' in proc.stderr
