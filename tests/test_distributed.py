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

from mmseg_depict.dataset_prep.synthetic import SYNTHETIC_MAKERS
from mmseg_depict.fileio import safe_torch_load
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


def test_lost_workers_restart_the_group_which_resumes(tmp_path):
    """torchrun's elastic restarts through tools/dist_train.sh: rank 1 is
    SIGKILLed after the checkpoint of iteration 2, then, in the restarted
    group, rank 0 while it writes the checkpoint of iteration 4. The job
    finishes by itself (two restarts, each resuming from the newest
    checkpoint that loads) with the weights of an uninterrupted run, bit
    for bit, although the ranks' random generators differ (each rank
    resumes with its own)."""
    config, _ = probed_config('ade20k', tmp_path)
    cfg = load_unformatted_config(config)
    cfg.train_cfg.update(max_iters=6, val_interval=6)
    cfg.param_scheduler = [
        dict(s, end=6) if 'end' in s else s for s in cfg.param_scheduler
    ]
    cfg.default_hooks.checkpoint.update(interval=2, save_optimizer=True)
    # Before packing: each rank draws its own amount from numpy.
    cfg.train_dataloader.dataset.pipeline.insert(
        -1, dict(type='RankDependentFlip'))
    plain = write_config(cfg, str(tmp_path / 'plain.py'))
    cfg.custom_hooks += [
        dict(
            type='KillWorkerOnceHook',
            at_iter=2,
            marker=str(tmp_path / 'killed_rank1'),
            rank=1),
        dict(
            type='KillWorkerOnceHook',
            at_iter=4,
            marker=str(tmp_path / 'killed_in_save'),
            during='save')
    ]
    faulty = write_config(cfg, str(tmp_path / 'faulty.py'))
    reference = str(tmp_path / 'reference')
    run_script(['tools/dist_train.sh', plain, '2', '--work-dir', reference],
               port=29571)
    work = str(tmp_path / 'work')
    log = run_script(['tools/dist_train.sh', faulty, '2', '--work-dir', work],
                     port=29573)
    assert osp.exists(tmp_path / 'killed_rank1')
    assert osp.exists(tmp_path / 'killed_in_save')
    for restart in (1, 2):
        assert f'TORCHELASTIC_RESTART_COUNT={restart}: a restarted run' in log
    assert log.count('resumed epoch: 0, iter: 2') >= 2  # once per rank
    expected = safe_torch_load(osp.join(reference, 'iter_6.pth'))['state_dict']
    weights = safe_torch_load(osp.join(work, 'iter_6.pth'))['state_dict']
    assert weights.keys() == expected.keys()
    for key in expected:
        assert torch.equal(weights[key], expected[key]), key
