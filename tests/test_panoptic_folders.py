"""Offline PQ over COCO-panoptic folders (PanopticFolders and
tools/evaluation/panoptic_quality.py) on generated ADE20K-panoptic
ground truth."""
import json
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from mmseg_depict.evaluation import PanopticFolders, pq_image_stats
from mmseg_depict.utils import id2rgb, rgb2id
from .common import run_tool


@pytest.fixture
def ground_truth(synthetic_roots):
    root = synthetic_roots['ade20k_panoptic']
    return (osp.join(root, 'ade20k_panoptic_val.json'),
            osp.join(root, 'ade20k_panoptic_val'))


def test_ground_truth_against_itself_is_perfect(ground_truth, tmp_path):
    out = str(tmp_path / 'pq.json')
    run_tool([
        'tools/evaluation/panoptic_quality.py', *ground_truth,
        *ground_truth, '--out', out
    ])
    with open(out) as f:
        metrics = json.load(f)
    assert metrics['PQ'] == metrics['SQ'] == metrics['RQ'] == 100.0


def test_predictions_with_own_category_ids(ground_truth, tmp_path):
    """Prediction categories renumbered (matched by name); one image's
    largest segment erased: counts equal pq_image_stats on the arrays."""
    gt_json, gt_folder = ground_truth
    with open(gt_json) as f:
        gt = json.load(f)
    pred_folder = str(tmp_path / 'pred')
    shutil.copytree(gt_folder, pred_folder)
    renumber = {
        c['id']: 1000 + i
        for i, c in enumerate(reversed(gt['categories']))
    }
    annotations = json.loads(json.dumps(gt['annotations']))
    for a in annotations:
        for s in a['segments_info']:
            s['category_id'] = renumber[s['category_id']]
    first = annotations[0]
    largest = max(first['segments_info'], key=lambda s: s['area'])
    png = osp.join(pred_folder, first['file_name'])
    ids = rgb2id(cv2.imread(png)[..., ::-1])
    ids[ids == largest['id']] = 0
    cv2.imwrite(png, id2rgb(ids)[..., ::-1])
    first['segments_info'].remove(largest)
    pred_json = str(tmp_path / 'pred.json')
    with open(pred_json, 'w') as f:
        json.dump(
            dict(
                annotations=annotations,
                categories=[
                    dict(c, id=renumber[c['id']]) for c in gt['categories']
                ]), f)
    folders = PanopticFolders(gt_json, gt_folder, pred_json, pred_folder)
    stats = folders.stats(nproc=2)
    expected = [
        pq_image_stats(*folders.load(i), len(gt['categories']))
        for i in range(len(folders.pairs))
    ]
    assert np.array_equal(stats.tp, sum(e.tp for e in expected))
    assert np.array_equal(stats.fn, sum(e.fn for e in expected))
    assert stats.fn.sum() == 1 and stats.fp.sum() == 0
    original_id = {v: k for k, v in renumber.items()}[largest['category_id']]
    gt_ids = [c['id'] for c in gt['categories']]
    assert stats.fn[gt_ids.index(original_id)] == 1


def test_missing_prediction_is_named(ground_truth, tmp_path):
    pred_json = str(tmp_path / 'pred.json')
    with open(pred_json, 'w') as f:
        json.dump(dict(annotations=[]), f)
    with pytest.raises(ValueError, match='no prediction for images'):
        PanopticFolders(*ground_truth, pred_json, str(tmp_path))


def test_tool_starts_without_torch_and_names_bad_pngs(ground_truth, tmp_path):
    """The offline tool loads numpy / cv2 modules only; a prediction of
    another size or with four channels is named."""
    gt_json, gt_folder = ground_truth
    probe = ("import runpy, sys; sys.argv = sys.argv[1:]; sys.path.insert(0, "
             "'tools/evaluation'); runpy.run_path(sys.argv[0], "
             "run_name='__main__'); heavy = [m for m in ('torch', 'mmdet', "
             "'mmseg', 'mmengine') if m in sys.modules]; "
             "print('heavy modules:', heavy)")
    proc = run_tool([
        '-c', probe, 'tools/evaluation/panoptic_quality.py', gt_json,
        gt_folder, gt_json, gt_folder
    ],
                    new_interpreter=True)
    assert 'heavy modules: []' in proc.stdout
    with open(gt_json) as f:
        name = json.load(f)['annotations'][0]['file_name']
    pred_folder = str(tmp_path / 'pred')
    shutil.copytree(gt_folder, pred_folder)
    png = osp.join(pred_folder, name)
    cv2.imwrite(png, cv2.imread(png)[:8])
    proc = run_tool([
        'tools/evaluation/panoptic_quality.py', gt_json, gt_folder,
        gt_json, pred_folder
    ],
                    check=False)
    assert proc.returncode and f"prediction '{png}' is" in proc.stderr
    cv2.imwrite(png, np.zeros((8, 8, 4), np.uint8))
    proc = run_tool([
        'tools/evaluation/panoptic_quality.py', gt_json, gt_folder,
        gt_json, pred_folder
    ],
                    check=False)
    assert proc.returncode
    assert f"'{png}' is 8-bit RGBA; expected" in proc.stderr


def test_benchmark_baseline_agrees_with_the_tool():
    """benchmark_pq.py on a few pairs: panopticapi's method (the baseline
    script) and the tool give the same PQ / SQ / RQ, or it exits non-zero."""
    proc = run_tool([
        'tools/analysis_tools/benchmark_pq.py', '--num-images', '4', '--shape',
        '128', '256', '--rounds', '1'
    ])
    assert 'from both (largest difference' in proc.stdout
    assert "| panopticapi's method |" in proc.stdout


def test_read_panoptic_ids_decodes_every_rgb_png(tmp_path):
    """libspng + reinterpretation == rgb2id, for PNGs written by PIL (as
    COCO's), by OpenCV and with a palette; other kinds are named."""
    from PIL import Image

    from mmseg_depict.utils import read_panoptic_ids
    rng = np.random.default_rng(0)
    ids = rng.choice(rng.integers(1, 1 << 24, 12), (30, 40)).astype(np.int64)
    ids[:5] = 0
    rgb = id2rgb(ids)
    Image.fromarray(rgb).save(tmp_path / 'pil.png')
    cv2.imwrite(str(tmp_path / 'cv2.png'), rgb[..., ::-1])
    Image.fromarray(rgb).quantize(
        colors=256,
        method=Image.Quantize.MAXCOVERAGE,
        dither=Image.Dither.NONE).save(tmp_path / 'palette.png')
    for name in ('pil.png', 'cv2.png'):
        got = read_panoptic_ids(str(tmp_path / name))
        assert got.dtype == np.uint32 and np.array_equal(got, ids), name
    palette = np.asarray(Image.open(tmp_path / 'palette.png').convert('RGB'))
    assert np.array_equal(
        read_panoptic_ids(str(tmp_path / 'palette.png')), rgb2id(palette))
    cv2.imwrite(str(tmp_path / 'deep.png'), np.zeros((4, 4, 3), np.uint16))
    with pytest.raises(ValueError, match=r"deep.png' is 16-bit RGB"):
        read_panoptic_ids(str(tmp_path / 'deep.png'))
    (tmp_path / 'fake.png').write_bytes(b'not a png at all, really not one')
    with pytest.raises(ValueError, match="fake.png' is not a PNG file"):
        read_panoptic_ids(str(tmp_path / 'fake.png'))
    with pytest.raises(FileNotFoundError, match='missing.png'):
        read_panoptic_ids(str(tmp_path / 'missing.png'))
