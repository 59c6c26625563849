"""tools/slurm_train.sh and tools/slurm_test.sh without a cluster: ``srun``
and ``scontrol`` stand-ins on PATH record what the scripts ask for; for the
training the stand-in runs the command as one Slurm task (SLURM_PROCID /
SLURM_NTASKS / SLURM_NODELIST set as srun sets them), so --launcher slurm
runs for real (gloo on CPU); the test script's command is only recorded
(it goes through the same launcher code)."""
import os
import os.path as osp
import socket
import stat
import subprocess
import sys

from tests.common import (ROOT, load_unformatted_config, small_config,
                          write_config)

SRUN = '''#!/usr/bin/env bash
printf '%s\\n' "$@" > "$SRUN_LOG"
[ -n "${SRUN_DRY:-}" ] && exit 0
export SLURM_PROCID=0 SLURM_NTASKS=1 SLURM_LOCALID=0 SLURM_NODELIST=node[1]
export MASTER_PORT=$STANDIN_MASTER_PORT
while [[ "$1" == -* ]]; do shift; done
exec "$@"
'''
SCONTROL = '''#!/usr/bin/env bash
# `scontrol show hostname LIST`: the first host of the list.
echo 127.0.0.1
'''


def _stand_ins(folder):
    os.makedirs(folder)
    for name, text in (('srun', SRUN), ('scontrol', SCONTROL)):
        path = osp.join(folder, name)
        with open(path, 'w') as f:
            f.write(text)
        os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)


def _free_port():
    """A port nothing listens on now (the distributed tests, which may run
    at the same time, use fixed ones)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _run(script, args, tmp_path, dry=False, check=True, **extra_env):
    env = dict(
        os.environ,
        PATH=str(tmp_path / 'bin') + os.pathsep + os.environ['PATH'],
        SRUN_LOG=str(tmp_path / 'srun.log'),
        PYTHON=sys.executable,
        GPUS='1',
        CPUS_PER_TASK='2',
        SRUN_ARGS='--quotatype=auto --exclusive',
        PYTHONUNBUFFERED='1',
        SRUN_DRY='1' if dry else '',
        STANDIN_MASTER_PORT=str(_free_port()),
        **extra_env)
    proc = subprocess.run(['bash', script, *args],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)
    if check:
        assert proc.returncode == 0, \
            proc.stdout[-2000:] + proc.stderr[-4000:]
    with open(tmp_path / 'srun.log') as f:
        return f.read().splitlines(), proc.stdout + proc.stderr


def test_slurm_train_then_test(synthetic_roots, tmp_path):
    _stand_ins(str(tmp_path / 'bin'))
    config = small_config('ade20k', synthetic_roots['ade20k'], str(tmp_path))
    work_dir = str(tmp_path / 'work')
    srun_args, log = _run('tools/slurm_train.sh',
                          ['gpu-dev', 'depict', config, work_dir], tmp_path)
    assert srun_args[:9] == [
        '--partition=gpu-dev', '--job-name=depict', '--gres=gpu:1',
        '--ntasks=1', '--ntasks-per-node=1', '--cpus-per-task=2',
        '--kill-on-bad-exit=1', '--quotatype=auto', '--exclusive'
    ]
    assert srun_args[9:] == [
        sys.executable, '-u',
        osp.join(ROOT, 'tools', 'train.py'), config, f'--work-dir={work_dir}',
        '--launcher=slurm'
    ]
    assert "launcher: slurm" in log or 'Distributed launcher: slurm' in log
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    assert osp.isfile(checkpoint)
    srun_args, log = _run('tools/slurm_test.sh', [
        'gpu-dev', 'depict-test', config, checkpoint, '--work-dir',
        str(tmp_path / 'test')
    ], tmp_path)
    assert srun_args[-5:] == [
        config, checkpoint, '--launcher=slurm', '--work-dir',
        str(tmp_path / 'test')
    ]
    assert 'mIoU' in log


def test_missing_arguments_are_named(tmp_path):
    for script in ('tools/slurm_train.sh', 'tools/slurm_test.sh'):
        proc = subprocess.run(['bash', script, 'partition'],
                              cwd=ROOT,
                              capture_output=True,
                              text=True)
        assert proc.returncode == 2 and 'usage:' in proc.stderr


def test_requeued_job_resumes_from_its_newest_checkpoint(
        synthetic_roots, tmp_path):
    """What ``sbatch --requeue`` does after a node failure: the same command
    runs again with ``SLURM_RESTART_COUNT`` set; tools/train.py then resumes
    by itself. The first run is SIGKILLed after its checkpoint of
    iteration 2 (out of 4)."""
    _stand_ins(str(tmp_path / 'bin'))
    cfg = load_unformatted_config(
        small_config(
            'ade20k',
            synthetic_roots['ade20k'],
            str(tmp_path),
            max_iters=4,
            checkpoint_interval=2))
    cfg.custom_imports = dict(
        imports=['mmseg_depict', 'tests.dist_probes'],
        allow_failed_imports=False)
    cfg.custom_hooks = [
        dict(
            type='KillWorkerOnceHook',
            at_iter=2,
            marker=str(tmp_path / 'killed'),
            rank=0)
    ]
    config = write_config(cfg, str(tmp_path / 'killed_once.py'))
    work_dir = str(tmp_path / 'work')
    args = ['gpu-dev', 'depict', config, work_dir]
    _, log = _run('tools/slurm_train.sh', args, tmp_path, check=False)
    assert osp.exists(tmp_path / 'killed'), log[-3000:]
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))
    assert not osp.exists(osp.join(work_dir, 'iter_4.pth'))
    _, log = _run(
        'tools/slurm_train.sh', args, tmp_path, SLURM_RESTART_COUNT='1')
    assert 'SLURM_RESTART_COUNT=1: a restarted run' in log
    assert 'resumed epoch: 0, iter: 2' in log
    assert osp.isfile(osp.join(work_dir, 'iter_4.pth'))
