"""tools/dist_train.sh and tools/dist_test.sh: two processes on the CPU
(torchrun, gloo, mmengine's pytorch launcher)."""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.runner.checkpoint import _load_checkpoint

from .conftest import ROOT, small_config
from .test_train_test_e2e import metrics_of


def run_script(args, port):
    env = dict(os.environ, PORT=str(port), PYTHONUNBUFFERED='1',
               PATH=osp.dirname(sys.executable) + os.pathsep +
               os.environ['PATH'])
    proc = subprocess.run(['bash', *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


# Out of the default run: in about one run in ten, after the heavy end-to-end
# tests, rank 0 aborted at teardown ("terminate called without an active
# exception") before the explicit process-group shutdown; not seen since, but
# not understood either. Run with `bash tools/run_tests.sh -m slow`.
@pytest.mark.slow
def test_two_process_train_and_test_on_cpu(synthetic_roots, tmp_path):
    config = small_config('ade20k', synthetic_roots['ade20k'], str(tmp_path))
    work_dir = str(tmp_path / 'work')
    log = run_script(['tools/dist_train.sh', config, '2', '--work-dir',
                      work_dir], port=29531)
    assert 'Distributed launcher: pytorch' in log or 'world_size: 2' in log
    ckpt = _load_checkpoint(osp.join(work_dir, 'iter_2.pth'))
    assert ckpt['meta']['iter'] == 2
    test_dir = str(tmp_path / 'test')
    log = run_script(['tools/dist_test.sh', config,
                      osp.join(work_dir, 'iter_2.pth'), '2', '--work-dir',
                      test_dir], port=29532)
    # 2 validation images, one per process, gathered into one metric.
    assert 'Iter(test) [1/1]' in log
    assert 'mIoU' in metrics_of(test_dir)
    assert len(glob.glob(osp.join(test_dir, '*', '*.json'))) == 1
