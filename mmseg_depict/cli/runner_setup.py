"""What ``tools/train.py`` and ``tools/test.py`` do to a config before the
Runner starts, for mmseg (semantic) and mmdet (panoptic) configs alike.

The config's task (:mod:`mmseg_depict.tasks`, from its ``default_scope``)
picks the registries, and with them mmseg's or mmdet's runner, hooks and
evaluators, and what ``--out`` and ``--show-dir`` write.
"""
import argparse
import gc
import os
import os.path as osp
import subprocess
from typing import Optional, Sequence

import torch
from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.runner import Runner

from ..engine.resume import newest_loadable_checkpoint
from ..tasks import task_of


def add_runner_args(parser: argparse.ArgumentParser) -> None:
    """Flags both tools share: ``--work-dir``, ``--cfg-options``,
    ``--launcher``, ``--compile``, ``--check-files`` and the rank
    torch.distributed.launch passes."""
    parser.add_argument(
        '--work-dir', help='the dir to save logs, models and metrics')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the used config, key=value pairs')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--compile',
        action='store_true',
        help="torch.compile the model's forward (backbone, neck, decode "
        'head); the loss and optimizer stay eager. A `compile` key in the '
        'config does the same (mmengine would compile the optimizer step)')
    parser.add_argument(
        '--check-files',
        action='store_true',
        help='before the run, decode every image and label of its datasets '
        '(in parallel, with a progress bar) and name every unreadable, '
        'truncated or mis-sized one')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_runner_args(parser: argparse.ArgumentParser,
                      argv=None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def load_config(path: str,
                cfg_options: Optional[dict] = None,
                launcher: str = 'none',
                work_dir: Optional[str] = None) -> Config:
    """Read a config, apply ``--cfg-options``, the launcher and work dir.

    The work dir is, in order: ``work_dir``, the config's ``work_dir``,
    ``./work_dirs/<config name>``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file {path} does not exist')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    task_of(cfg)  # a supported default_scope
    cfg.launcher = launcher
    if launcher != 'none' and not torch.cuda.is_available():
        # NCCL needs GPUs; CPU-only distributed runs use gloo, and DDP must
        # not be given a device (mmengine defaults to [LOCAL_RANK]).
        cfg.merge_from_dict({'env_cfg.dist_cfg.backend': 'gloo'})
        wrapper = dict(type='MMDistributedDataParallel', device_ids=None)
        wrapper.update(cfg.get('model_wrapper_cfg') or {})
        cfg.model_wrapper_cfg = wrapper
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(path))[0])
    return cfg


#: ``--amp`` precisions: the autocast dtype of mmengine's AmpOptimWrapper.
AMP_DTYPES = {'fp16': 'float16', 'bf16': 'bfloat16'}


def enable_amp(cfg: Config, precision: str = 'fp16') -> None:
    """Switch the optimizer wrapper to mixed precision (``--amp [fp16|bf16]``).

    ``fp16``: float16 autocast with dynamic loss scaling (mmengine's
    default). ``bf16``: bfloat16 autocast without loss scaling (bfloat16 has
    float32's exponent range, so gradients do not underflow).

    Args:
        cfg (Config): The config; ``optim_wrapper`` is changed in place.
        precision (str): ``'fp16'`` or ``'bf16'``.

    Raises:
        RuntimeError: No CUDA device, or one without bfloat16 for ``bf16``.
        ValueError: An unknown precision, or a config whose optimizer
            wrapper is not mmengine's ``OptimWrapper``.
    """
    if precision not in AMP_DTYPES:
        raise ValueError(f'--amp {precision!r}: expected one of '
                         f'{sorted(AMP_DTYPES)}')
    if not torch.cuda.is_available():
        raise RuntimeError(f'--amp {precision} needs a CUDA device (mmengine '
                           'AmpOptimWrapper); none is available')
    if precision == 'bf16' and not torch.cuda.is_bf16_supported():
        raise RuntimeError(
            '--amp bf16: this CUDA device '
            f'({torch.cuda.get_device_name()}) does not support bfloat16; '
            'use --amp (fp16)')
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
        raise ValueError(f'--amp only applies to OptimWrapper, the config '
                         f'uses optim_wrapper.type={wrapper!r}')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.dtype = AMP_DTYPES[precision]
    cfg.optim_wrapper.loss_scale = ('dynamic' if precision == 'fp16' else dict(
        enabled=False))


def set_resume(cfg: Config, resume: Optional[str]) -> None:
    """``--resume``: ``'auto'`` picks the newest checkpoint in the work dir
    that loads (:func:`newest_loadable_checkpoint`; none: a fresh start), a
    path resumes from that checkpoint."""
    if resume == 'auto':
        cfg.load_from = newest_loadable_checkpoint(cfg.work_dir)
        # Without one, mmengine's own search would stop on a stale
        # last_checkpoint: start afresh instead, as mmengine does in an
        # empty work dir.
        cfg.resume = cfg.load_from is not None
    elif resume is not None:
        cfg.resume, cfg.load_from = True, resume


def restarted_resume() -> Optional[str]:
    """``'auto'`` when this process is a restart of a failed run: torchrun
    restarting its worker group (``TORCHELASTIC_RESTART_COUNT``, see
    ``tools/dist_launch.sh``'s ``MAX_RESTARTS``) or Slurm requeueing the
    job (``SLURM_RESTART_COUNT``); else None. A restart then resumes from
    the newest checkpoint without ``--resume`` on its command line."""
    for name in ('TORCHELASTIC_RESTART_COUNT', 'SLURM_RESTART_COUNT'):
        count = int(os.environ.get(name) or 0)
        if count > 0:
            print_log(
                f'{name}={count}: a restarted run, resuming from the '
                'newest checkpoint in the work dir',
                logger='current')
            return 'auto'
    return None


def set_test_outputs(cfg: Config, out: Optional[str], show: bool,
                     show_dir: Optional[str], wait_time: float) -> None:
    """``--out``, ``--show`` and ``--show-dir``, as the config's task
    writes them."""
    if show or show_dir:
        hook = cfg.default_hooks.get('visualization')
        if hook is None:
            raise KeyError('--show / --show-dir need default_hooks.'
                           'visualization in the config')
        hook['draw'] = True
        if show:
            hook['show'], hook['wait_time'] = True, wait_time
    task_of(cfg).set_test_outputs(cfg, out, show_dir)


def add_test_writers(runner: Runner, out: Optional[str]) -> None:
    """What ``--out`` adds once the Runner is built (mmdet: a dump of the
    raw predictions next to the metrics)."""
    task_of(runner.cfg).add_test_writers(runner, out)


def set_tta(cfg: Config) -> None:
    """``--tta``: wrap the model in the config's ``tta_model`` and test with
    its ``tta_pipeline``."""
    for key in ('tta_model', 'tta_pipeline'):
        if key not in cfg:
            raise KeyError(f'--tta needs `{key}` in the config')
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model


def build_runner(cfg: Config) -> Runner:
    """mmengine's Runner, or ``runner_type`` from the scope's registry."""
    launcher = cfg.get('launcher')
    if launcher in ('pytorch', 'slurm') and not torch.cuda.is_available() \
            and not torch.distributed.is_initialized():
        # mmengine's pytorch and slurm launchers pin a GPU per process; on
        # CPU the process group (gloo, env://) is started here and the
        # Runner then uses it as it is.
        if launcher == 'slurm':
            _slurm_environment()
        torch.distributed.init_process_group(backend='gloo')
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return task_of(cfg).registry('RUNNERS').build(cfg)


def _slurm_environment() -> None:
    """torch's env:// variables from Slurm's (as mmengine 0.10.7's slurm
    launcher sets them, without its ``torch.cuda.set_device``)."""
    env = os.environ
    env.setdefault('RANK', env['SLURM_PROCID'])
    env.setdefault('WORLD_SIZE', env['SLURM_NTASKS'])
    env.setdefault('LOCAL_RANK', env.get('SLURM_LOCALID', '0'))
    env.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in env:
        first = subprocess.run(
            ['scontrol', 'show', 'hostname', env['SLURM_NODELIST']],
            capture_output=True,
            text=True,
            check=True).stdout.split()
        env['MASTER_ADDR'] = first[0]


def shutdown_distributed() -> None:
    """Leave the process group in order at the end of a distributed run; a
    gloo group torn down at interpreter exit can abort the process.

    Call it after dropping the Runner: the Runner and its DDP wrapper sit in
    reference cycles, collected here so that they release the group first.
    """
    gc.collect()
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


def data_loaders_for(phase: str, cfg: Config) -> Sequence[str]:
    """Dataloaders a phase reads: training validates on the val loader."""
    if phase == 'train':
        keys = ['train_dataloader']
        if cfg.get('val_cfg') is not None:
            keys.append('val_dataloader')
        return keys
    return ['test_dataloader']
