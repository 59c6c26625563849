"""tools/train.py then tools/test.py on generated data in each dataset's
real layout, through the real dataset classes, pipelines and IoUMetric."""
import glob
import json
import os
import os.path as osp

import pytest
from mmengine.config import Config

from .common import run_tool


def metrics_of(work_dir: str) -> dict:
    """Metrics JSON that tools/test.py writes in its work dir."""
    files = sorted(glob.glob(osp.join(work_dir, '*', '*.json')))
    assert files, f'no metrics written under {work_dir}'
    with open(files[-1]) as f:
        return json.load(f)


def val_metric_during_training(work_dir: str, key: str = 'mIoU') -> float:
    scalars = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(scalars[0]) as f:
        records = [json.loads(line) for line in f]
    return [r[key] for r in records if key in r][-1]


@pytest.mark.parametrize('layout', ['ade20k', 'cityscapes', 'pascal_context'])
def test_train_then_test_reproduces_miou(trained, layout):
    config, work_dir = trained[layout]
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    assert osp.isfile(checkpoint)
    test_dir = osp.join(work_dir, 'test')
    pred_dir = osp.join(work_dir, 'preds')
    run_tool([
        'tools/test.py', config, checkpoint, '--work-dir', test_dir, '--out',
        pred_dir
    ])
    metrics = metrics_of(test_dir)
    assert 0.0 <= metrics['mIoU'] <= 100.0
    assert metrics['mIoU'] == pytest.approx(
        val_metric_during_training(work_dir), abs=1e-6)
    # --out: one predicted label map per validation image.
    assert len(glob.glob(osp.join(pred_dir, '*.png'))) == 2


def test_training_runs_are_tabulated_and_nan_losses_fail(trained, tmp_path):
    """tools/misc/summarize_training_runs.py (check_cuda.sh's table) on a
    real run, and on a copy whose last logged loss is NaN."""
    _, work_dir = trained['ade20k']
    scalars, = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(scalars) as f:
        train = [r for r in map(json.loads, f) if 'loss' in r]
    proc = run_tool(['tools/misc/summarize_training_runs.py', work_dir])
    row, = [
        line for line in proc.stdout.splitlines()
        if line.startswith(f'| {osp.basename(work_dir)} |')
    ]
    cells = [c.strip() for c in row.split('|')[1:-1]]
    assert cells[1] == '2'  # last logged iteration
    assert cells[4] == f"{train[0]['loss']:.3f} -> {train[-1]['loss']:.3f}"

    broken = tmp_path / 'broken_run' / '20260101_000000' / 'vis_data'
    os.makedirs(broken)
    train[-1]['loss'] = float('nan')
    with open(broken / 'scalars.json', 'w') as f:
        f.writelines(json.dumps(r) + '\n' for r in train)
    proc = run_tool([
        'tools/misc/summarize_training_runs.py', work_dir,
        str(tmp_path / 'broken_run')
    ],
                    check=False)
    assert proc.returncode != 0
    assert 'non-finite loss logged in: broken_run' in proc.stderr
    assert '| broken_run | 2 |' in proc.stdout


def test_tta_runs_multi_scale_flip(trained):
    config, work_dir = trained['ade20k']
    test_dir = osp.join(work_dir, 'test_tta')
    run_tool([
        'tools/test.py', config,
        osp.join(work_dir, 'iter_2.pth'), '--work-dir', test_dir, '--tta'
    ])
    assert 'mIoU' in metrics_of(test_dir)


#: A stuff class present in every generated image, per panoptic layout.
SKY = {
    'coco_panoptic': 'sky-other-merged',
    'ade20k_panoptic': 'sky',
    'cityscapes_panoptic': 'sky',
}


@pytest.mark.parametrize('layout', sorted(SKY))
def test_panoptic_train_then_test_reports_pq(trained, layout):
    """mmdet's runner (default_scope mmdet): Mask2Former on each panoptic
    layout, loaded and scored without panopticapi. tools/test.py starts
    from a fresh interpreter once for mmdet's runner (mmseg's: dist_test.sh
    in test_distributed.py)."""
    config, work_dir = trained[layout]
    test_dir = osp.join(work_dir, 'test')
    out = osp.join(work_dir, 'predictions.pkl')
    pred_dir = osp.join(work_dir, 'panoptic_predictions')
    proc = run_tool([
        'tools/test.py', config,
        osp.join(work_dir, 'iter_2.pth'), '--work-dir', test_dir, '--out', out,
        '--cfg-options', f'test_evaluator.output_dir={pred_dir}'
    ],
                    new_interpreter=layout == 'coco_panoptic')
    metrics = metrics_of(test_dir)
    for key in ('PQ', 'SQ', 'RQ', 'PQ_th', 'PQ_st'):
        assert 0.0 <= metrics[f'pq/{key}'] <= 100.0
    assert metrics['pq/PQ'] == pytest.approx(
        val_metric_during_training(work_dir, 'pq/PQ'), abs=1e-6)
    # The ground truth was read: the sky of both val images is in the table
    # as true positives or false negatives.
    rows = [
        line for line in proc.stdout.splitlines()
        if line.startswith(f'| {SKY[layout]} |')
    ]
    assert rows
    tp, fp, fn = (int(v) for v in rows[-1].split('|')[-4:-1])
    assert tp + fn == 2
    assert osp.isfile(out)
    # The written COCO-panoptic predictions score the same offline.
    dataset = Config.fromfile(config).test_dataloader.dataset
    pq_json = osp.join(work_dir, 'offline_pq.json')
    run_tool([
        'tools/evaluation/panoptic_quality.py',
        osp.join(dataset.data_root, dataset.ann_file),
        osp.join(dataset.data_root, dataset.data_prefix.seg),
        osp.join(pred_dir, 'panoptic.json'),
        osp.join(pred_dir, 'panoptic'), '--nproc', '2', '--out', pq_json
    ])
    with open(pq_json) as f:
        offline = json.load(f)
    for key in ('PQ', 'SQ', 'RQ', 'PQ_th', 'PQ_st'):
        assert offline[key] == pytest.approx(metrics[f'pq/{key}'], abs=1e-9)


def test_tabulated_runs_show_data_share_wall_memory_and_classes(tmp_path):
    """The columns read from a run's files: data_time / time from the
    scalars, wall time from the log's time stamps, peak RSS from a
    ``/usr/bin/time -v`` report, per-class IoU from tools/test.py's log
    (mmseg's IoUMetric table)."""
    run = tmp_path / 'run'
    stamp = run / '20260101_000000'
    os.makedirs(stamp / 'vis_data')
    records = [
        dict(iter=i, loss=1.0 / i, time=1.0, data_time=0.02)
        for i in (50, 100, 150)
    ]
    with open(stamp / 'vis_data' / 'scalars.json', 'w') as f:
        f.writelines(json.dumps(r) + '\n' for r in records)
    (stamp / '20260101_000000.log').write_text(
        '2026/01/01 00:00:05 - mmengine - INFO - start\n'
        '2026/01/01 00:12:35 - mmengine - INFO - end\n')
    (run / 'train_time.txt'
     ).write_text('\tMaximum resident set size (kbytes): 2048000\n')
    test_stamp = run / 'test' / '20260101_001300'
    os.makedirs(test_stamp)
    (test_stamp / '20260101_001300.log').write_text(
        '+-------------+-------+-------+\n'
        '|    Class    |  IoU  |  Acc  |\n'
        '+-------------+-------+-------+\n'
        '|     sky     | 92.49 | 98.09 |\n'
        '| sign symbol |  nan  |  nan  |\n'
        '+-------------+-------+-------+\n')
    proc = run_tool(
        ['tools/misc/summarize_training_runs.py',
         str(run), '--per-class'])
    row = [
        line for line in proc.stdout.splitlines()
        if line.startswith('| run |') and '%' in line
    ][0]
    assert row.endswith('| 2.0 % | 12.5 | 2000 |')
    assert '| run | sky | sign symbol |' in proc.stdout
    assert '| run | 92.5 | nan |' in proc.stdout
