"""--resume continues from the last checkpoint in the work dir: iteration
count, optimizer state and LR schedule come back."""
import os.path as osp

import torch
from mmengine.runner.checkpoint import _load_checkpoint

from mmseg_depict.cli import build_runner
from .common import load_unformatted_config, run_tool, small_config


def test_resume_restores_iteration_and_optimizer(synthetic_roots, tmp_path):
    config = small_config(
        'ade20k',
        synthetic_roots['ade20k'],
        str(tmp_path),
        max_iters=4,
        checkpoint_interval=2,
        save_optimizer=True)
    work_dir = str(tmp_path / 'work')
    # A first run that stops after 2 of the 4 iterations...
    run_tool([
        'tools/train.py', config, '--work-dir', work_dir, '--cfg-options',
        'train_cfg.max_iters=2'
    ])
    first = osp.join(work_dir, 'iter_2.pth')
    saved = _load_checkpoint(first)  # weights-only (mmseg_depict.engine)
    assert saved['optimizer']['state'], 'optimizer state (momentum) missing'

    # ...picked up in-process exactly as tools/train.py --resume does.
    cfg = load_unformatted_config(config)
    cfg.work_dir = str(tmp_path / 'inspect')
    cfg.resume, cfg.load_from = True, first
    runner = build_runner(cfg)
    runner._train_loop = runner.build_train_loop(runner._train_loop)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.param_schedulers = runner.build_param_scheduler(
        runner.param_schedulers)
    runner.load_or_resume()
    assert runner.iter == 2
    restored = runner.optim_wrapper.optimizer.state_dict()
    assert restored['state'], 'no optimizer state after resume'
    for index, state in saved['optimizer']['state'].items():
        torch.testing.assert_close(restored['state'][index]['momentum_buffer'],
                                   state['momentum_buffer'])
    assert runner.param_schedulers[0].last_step == \
        saved['param_schedulers'][0]['last_step']

    # The real command continues to iteration 4.
    proc = run_tool(
        ['tools/train.py', config, '--work-dir', work_dir, '--resume'])
    assert 'resumed epoch: 0, iter: 2' in proc.stdout + proc.stderr
    assert 'Iter(train) [3/4]' in proc.stdout + proc.stderr
    assert 'Iter(train) [1/4]' not in proc.stdout + proc.stderr
    assert _load_checkpoint(osp.join(work_dir,
                                     'iter_4.pth'))['meta']['iter'] == 4
