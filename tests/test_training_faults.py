"""Faults during training, injected into the real tools/train.py (forked
from this process, so a patch made here is in the run): a full disk during
a save, a kill while a checkpoint is being written, truncated and missing
checkpoints at --resume, a NaN loss (both runners, and on one rank of two).

Each shows what is left on disk, what --resume does, and that the resumed
run ends with the weights of an uninterrupted one, bit for bit."""
import errno
import glob
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys

import pytest
import torch

from mmseg_depict.engine import newest_loadable_checkpoint, resume
from mmseg_depict.fileio import AtomicLocalBackend, safe_torch_load
from tests.common import (LAYOUT_SIZES, ROOT, SYNTHETIC_MAKERS,
                          last_checkpoint, load_unformatted_config, run_tool,
                          small_config, write_config)

#: 6 iterations, a checkpoint and a validation every 2, one checkpoint kept
#: (the setting that lost everything with mmengine's hook), best by mIoU.
ITERS, EVERY = 6, 2


@pytest.fixture(scope='module')
def fault_config(synthetic_roots, tmp_path_factory):
    out = tmp_path_factory.mktemp('faults')
    cfg = load_unformatted_config(
        small_config(
            'ade20k',
            synthetic_roots['ade20k'],
            str(out),
            max_iters=ITERS,
            checkpoint_interval=EVERY,
            save_optimizer=True))
    cfg.train_cfg.val_interval = EVERY
    cfg.default_hooks.checkpoint.update(
        max_keep_ckpts=1, save_best='mIoU', rule='greater')
    return write_config(cfg, str(out / 'faults.py'))


@pytest.fixture(scope='module')
def uninterrupted(fault_config, tmp_path_factory):
    """The weights an uninterrupted run ends with."""
    work_dir = str(tmp_path_factory.mktemp('uninterrupted'))
    run_tool(['tools/train.py', fault_config, '--work-dir', work_dir])
    return safe_torch_load(osp.join(work_dir,
                                    f'iter_{ITERS}.pth'))['state_dict']


def _checkpoints(work_dir):
    return sorted(
        osp.basename(p) for p in glob.glob(osp.join(work_dir, '*.pth')))


def _leftovers(work_dir):
    return glob.glob(osp.join(work_dir, '.*.part'))


def _fail_when_saving(monkeypatch, name, fault):
    real_put = AtomicLocalBackend.put

    def put(self, obj, filepath):
        if osp.basename(str(filepath)) == name:
            fault(obj, str(filepath))
        return real_put(self, obj, filepath)

    monkeypatch.setattr(AtomicLocalBackend, 'put', put)


def _resume_to_the_end(fault_config, work_dir, uninterrupted):
    proc = run_tool(
        ['tools/train.py', fault_config, '--work-dir', work_dir, '--resume'])
    log = proc.stdout + proc.stderr
    assert f'resumed epoch: 0, iter: {EVERY}' in log
    resumed = safe_torch_load(osp.join(work_dir,
                                       f'iter_{ITERS}.pth'))['state_dict']
    assert resumed.keys() == uninterrupted.keys()
    for key in resumed:
        assert torch.equal(resumed[key], uninterrupted[key]), key
    return log


def test_full_disk_on_a_save_keeps_the_previous_checkpoint(
        fault_config, uninterrupted, tmp_path, monkeypatch):
    work_dir = str(tmp_path / 'work')

    def no_space(obj, filepath):
        raise OSError(errno.ENOSPC, 'No space left on device', filepath)

    _fail_when_saving(monkeypatch, 'iter_4.pth', no_space)
    # mmengine 0.10.7's hook deletes iter_2.pth before writing iter_4.pth:
    # nothing is left, and last_checkpoint names the deleted file.
    stock_dir = str(tmp_path / 'stock')
    proc = run_tool([
        'tools/train.py', fault_config, '--work-dir', stock_dir,
        '--cfg-options', 'default_hooks.checkpoint.type=CheckpointHook'
    ],
                    check=False)
    assert 'No space left on device' in proc.stderr
    assert not [c for c in _checkpoints(stock_dir) if c.startswith('iter_')]
    assert not osp.exists(last_checkpoint(stock_dir))
    proc = run_tool(['tools/train.py', fault_config, '--work-dir', work_dir],
                    check=False)
    assert proc.returncode != 0
    assert 'No space left on device' in proc.stderr
    kept = [c for c in _checkpoints(work_dir) if c.startswith('iter_')]
    assert kept == ['iter_2.pth']
    assert last_checkpoint(work_dir) == osp.join(work_dir, 'iter_2.pth')
    assert safe_torch_load(osp.join(work_dir,
                                    'iter_2.pth'))['meta']['iter'] == 2
    assert _leftovers(work_dir) == []
    monkeypatch.undo()
    _resume_to_the_end(fault_config, work_dir, uninterrupted)
    # Afterwards one checkpoint again, as asked, and one best checkpoint.
    names = _checkpoints(work_dir)
    assert [c for c in names if c.startswith('iter_')] == ['iter_6.pth']
    best = [c for c in names if c.startswith('best_mIoU_')]
    assert len(best) == 1
    assert safe_torch_load(osp.join(work_dir, best[0]))['state_dict']


#: How often the interrupted run is resumed (each from a copy of the same
#: work directory).
RESUME_REPEATS = 3


def test_every_resume_of_one_interrupted_run_is_bit_identical(
        fault_config, uninterrupted, tmp_path, monkeypatch):
    """The full-disk interruption, then ``--resume`` from copies of the same
    work directory, one after the other: each must end with the
    uninterrupted weights.

    The resumes are forked after this process built an attention layer
    as mmdet's DETR configs do (``dropout=0.1``), which is what made one
    resume in three differ (2e-5) in the suite: whether an earlier test on
    the same xdist worker had built a DETR decided whether the forked
    runs' ViT dropped its attention output (mmcv 2.1.0 writes that p into
    a shared default; fixed in mmseg_depict/upstream_patches.py).
    """
    from mmcv.cnn.bricks.transformer import MultiheadAttention
    MultiheadAttention(16, 2, dropout=0.1)
    interrupted = str(tmp_path / 'interrupted')

    def no_space(obj, filepath):
        raise OSError(errno.ENOSPC, 'No space left on device', filepath)

    _fail_when_saving(monkeypatch, 'iter_4.pth', no_space)
    proc = run_tool(
        ['tools/train.py', fault_config, '--work-dir', interrupted],
        check=False)
    assert proc.returncode != 0
    monkeypatch.undo()
    for attempt in range(RESUME_REPEATS):
        work_dir = str(tmp_path / f'resume{attempt}')
        shutil.copytree(interrupted, work_dir)
        # last_checkpoint holds an absolute path: point it at the copy.
        with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
            f.write(osp.join(work_dir, 'iter_2.pth'))
        _resume_to_the_end(fault_config, work_dir, uninterrupted)


def test_kill_during_a_save_then_resume_past_broken_files(
        fault_config, uninterrupted, tmp_path, monkeypatch):
    work_dir = str(tmp_path / 'work')

    def killed_while_writing(obj, filepath):
        # What AtomicLocalBackend has on disk mid-write: a partial temp file.
        part = osp.join(osp.dirname(filepath), '.iter_4.pth.abc123.part')
        with open(part, 'wb') as f:
            f.write(obj[:len(obj) // 2])
        os.kill(os.getpid(), signal.SIGKILL)

    _fail_when_saving(monkeypatch, 'iter_4.pth', killed_while_writing)
    proc = run_tool(['tools/train.py', fault_config, '--work-dir', work_dir],
                    check=False)
    assert proc.returncode == -signal.SIGKILL
    assert 'iter_2.pth' in _checkpoints(work_dir)
    assert len(_leftovers(work_dir)) == 1
    monkeypatch.undo()
    # Worse than the kill left it: a truncated newer checkpoint, and a
    # last_checkpoint that names a deleted one.
    with open(osp.join(work_dir, 'iter_2.pth'), 'rb') as f:
        data = f.read()
    with open(osp.join(work_dir, 'iter_4.pth'), 'wb') as f:
        f.write(data[:len(data) // 3])
    with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work_dir, 'iter_5.pth'))
    log = _resume_to_the_end(fault_config, work_dir, uninterrupted)
    assert 'iter_5.pth: missing' in log
    assert 'iter_4.pth: does not load' in log


def test_newest_loadable_checkpoint(tmp_path, monkeypatch):
    warned = []
    monkeypatch.setattr(resume, '_warn', warned.append)
    work_dir = str(tmp_path)
    assert newest_loadable_checkpoint(work_dir) is None
    good = dict(meta=dict(iter=3), state_dict=dict(w=torch.zeros(1)))
    torch.save(good, osp.join(work_dir, 'iter_3.pth'))
    torch.save(good, osp.join(work_dir, 'iter_10.pth'))  # numeric order
    assert newest_loadable_checkpoint(work_dir).endswith('iter_10.pth')
    torch.save([1, 2], osp.join(work_dir, 'iter_20.pth'))
    with open(osp.join(work_dir, 'iter_30.pth'), 'wb') as f:
        f.write(b'PK\x03\x04 cut short')
    with open(osp.join(work_dir, '.iter_40.pth.x.part'), 'wb') as f:
        f.write(b'')
    with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work_dir, 'iter_50.pth'))
    chosen = newest_loadable_checkpoint(work_dir)
    assert chosen == osp.join(work_dir, 'iter_10.pth')
    message, = warned
    assert 'iter_50.pth: missing' in message
    assert 'iter_30.pth: does not load' in message
    assert 'iter_20.pth: not a Runner checkpoint' in message
    assert 'iter_40' not in message  # a .part file is never a candidate
    # With last_checkpoint naming a good file, that one is taken.
    with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work_dir, 'iter_3.pth'))
    assert newest_loadable_checkpoint(work_dir).endswith('iter_3.pth')


def _poisoned(config, out, from_iter, rank=0, every=1):
    cfg = load_unformatted_config(config)
    cfg.custom_imports = dict(
        imports=['mmseg_depict', 'tests.dist_probes'],
        allow_failed_imports=False)
    cfg.custom_hooks = [
        dict(type='PoisonLossHook', from_iter=from_iter, rank=rank)
    ]
    cfg.default_hooks.checkpoint.interval = every
    return write_config(cfg, osp.join(out, 'poisoned.py'))


def test_nan_loss_stops_before_the_step(synthetic_roots, tmp_path):
    config = _poisoned(
        small_config(
            'ade20k', synthetic_roots['ade20k'], str(tmp_path), max_iters=4),
        str(tmp_path),
        from_iter=3)
    work_dir = str(tmp_path / 'work')
    proc = run_tool(['tools/train.py', config, '--work-dir', work_dir],
                    check=False)
    assert proc.returncode != 0
    assert ('FloatingPointError: Loss became infinite or NaN at iteration '
            '3: decode.loss_ce=nan') in proc.stderr
    # Nothing of the broken step was saved; the last good weights are whole.
    assert [c for c in _checkpoints(work_dir)] == ['iter_1.pth', 'iter_2.pth']
    weights = safe_torch_load(osp.join(work_dir, 'iter_2.pth'))['state_dict']
    assert all(torch.isfinite(w).all() for w in weights.values())
    # The switch: without the hook mmengine trains on through the NaN.
    proc = run_tool([
        'tools/train.py', config, '--work-dir',
        str(tmp_path / 'unchecked'), '--cfg-options',
        'default_hooks.finite_loss.enabled=False'
    ])
    weights = safe_torch_load(str(tmp_path / 'unchecked' /
                                  'iter_4.pth'))['state_dict']
    assert not all(torch.isfinite(w).all() for w in weights.values())


def test_nan_loss_stops_mmdet_runner(synthetic_roots, tmp_path):
    config = _poisoned(
        small_config('coco_panoptic', synthetic_roots['coco_panoptic'],
                     str(tmp_path)),
        str(tmp_path),
        from_iter=2)
    work_dir = str(tmp_path / 'work')
    proc = run_tool(['tools/train.py', config, '--work-dir', work_dir],
                    check=False)
    assert proc.returncode != 0
    assert 'Loss became infinite or NaN at iteration 2: loss_cls=nan' in \
        proc.stderr
    assert _checkpoints(work_dir) == ['iter_1.pth']


def test_nan_loss_on_one_rank_stops_every_rank(tmp_path):
    """Rank 1's loss turns NaN at iteration 2: both ranks stop there (rank
    0 would otherwise wait in DDP's gradient all-reduce for ever)."""
    root = SYNTHETIC_MAKERS['ade20k'](
        str(tmp_path / 'data'), 4, 2, LAYOUT_SIZES['ade20k'], seed=2)
    config = _poisoned(
        small_config('ade20k', root, str(tmp_path), max_iters=3),
        str(tmp_path),
        from_iter=2,
        rank=1)
    env = dict(
        os.environ,
        # A NaN recurs in every restarted group; the restarts are
        # tests/test_distributed.py's subject, the stop is this test's.
        MAX_RESTARTS='0',
        PORT='29561',
        PYTHONUNBUFFERED='1',
        PATH=osp.dirname(sys.executable) + os.pathsep + os.environ['PATH'])
    proc = subprocess.run([
        'bash', 'tools/dist_train.sh', config, '2', '--work-dir',
        str(tmp_path / 'work')
    ],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert 'NaN at iteration 2: decode.loss_ce=nan' in log  # rank 1
    assert "NaN at iteration 2: not on this rank (another rank's loss)" in log
