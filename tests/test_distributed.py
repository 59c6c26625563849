"""Two processes on the CPU (torchrun, gloo, mmengine's pytorch launcher)
through tools/dist_train.sh and tools/dist_test.sh, for a semantic (mmseg)
and a panoptic (mmdet) config: both ranks finish, gradients are averaged
(equal weights on both ranks after training, from different samples), and
evaluation sees every validation sample exactly once (3 samples on 2 ranks:
the sampler pads one rank, the gather must drop the copy)."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mmseg_depict.datasets.synthetic import SYNTHETIC_MAKERS
from .common import (LAYOUT_SIZES, ROOT, load_unformatted_config, small_config,
                     write_config)
from .test_train_test_e2e import metrics_of

CASES = {
    # layout: (config, metric type, recording metric, key)
    'ade20k': (None, 'RecordingIoUMetric', 'mIoU'),
    'coco_panoptic': (None, 'RecordingPanopticQualityMetric', 'pq/PQ'),
}


def run_script(args, port):
    env = dict(
        os.environ,
        PORT=str(port),
        PYTHONUNBUFFERED='1',
        PATH=osp.dirname(sys.executable) + os.pathsep + os.environ['PATH'])
    proc = subprocess.run(['bash', *args],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


def probed_config(layout, tmp_path):
    """The layout's small config on 4 train / 3 val images, with the
    weight-saving hook and the recording metric."""
    root = SYNTHETIC_MAKERS[layout](
        str(tmp_path / 'data'), 4, 3, LAYOUT_SIZES[layout], seed=2)
    cfg = load_unformatted_config(small_config(layout, root, str(tmp_path)))
    _, metric, _ = CASES[layout]
    cfg.custom_imports = dict(
        imports=['mmseg_depict', 'tests.dist_probes'],
        allow_failed_imports=False)
    cfg.custom_hooks = [
        dict(type='SaveRankWeightsHook', out_dir=str(tmp_path / 'weights'))
    ]
    evaluator = dict(
        cfg.val_evaluator,
        type=metric,
        record_file=str(tmp_path / 'evaluated.json'))
    cfg.val_evaluator = cfg.test_evaluator = evaluator
    cfg.train_dataloader.batch_size = 1  # per process; 2 iterations each
    return write_config(cfg, str(tmp_path / f'{layout}_probed.py')), root


def evaluated_paths(tmp_path):
    with open(tmp_path / 'evaluated.json') as f:
        return json.load(f)


@pytest.mark.parametrize('layout', sorted(CASES))
def test_two_process_train_and_test(tmp_path, layout):
    config, root = probed_config(layout, tmp_path)
    work_dir = str(tmp_path / 'work')
    port = 29531 + 2 * sorted(CASES).index(layout)
    log = run_script(
        ['tools/dist_train.sh', config, '2', '--work-dir', work_dir],
        port=port)
    assert 'world_size: 2' in log or 'Distributed launcher: pytorch' in log
    # Gradients averaged: both ranks end with the same weights.
    rank0 = torch.load(tmp_path / 'weights' / 'rank0.pth')
    rank1 = torch.load(tmp_path / 'weights' / 'rank1.pth')
    assert rank0.keys() == rank1.keys()
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
    # Validation saw each of the 3 images once.
    paths = evaluated_paths(tmp_path)
    assert len(paths) == 3 and len(set(paths)) == 3
    if layout != 'ade20k':
        return
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    test_dir = str(tmp_path / 'test')
    run_script([
        'tools/dist_test.sh', config, checkpoint, '2', '--work-dir', test_dir
    ],
               port=port + 1)
    paths = evaluated_paths(tmp_path)
    assert len(paths) == 3 and len(set(paths)) == 3
    assert 0 <= metrics_of(test_dir)['mIoU'] <= 100
