"""Train a segmentor (mmseg configs) or detector (mmdet configs).

Same flags as mmsegmentation's ``tools/train.py``; ``--resume`` also takes a
checkpoint path as in mmdetection's.
"""
import argparse

import mmseg_depict  # noqa: F401  (registries, safe checkpoint loading)
from mmseg_depict.cli import (add_runner_args, build_runner, data_loaders_for,
                              enable_amp, load_config, parse_runner_args,
                              restarted_resume, set_resume,
                              shutdown_distributed)
from mmseg_depict.datasets import check_config_data
from mmseg_depict.engine import (compile_forward, newest_loadable_checkpoint,
                                 take_compile_option)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or without a value from the '
        'latest checkpoint in the work dir')
    parser.add_argument(
        '--amp',
        nargs='?',
        const='fp16',
        choices=['fp16', 'bf16'],
        help='automatic mixed precision: fp16 (the default when no value is '
        'given; dynamic loss scaling) or bf16 (no loss scaling)')
    add_runner_args(parser)
    return parse_runner_args(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.launcher,
                      args.work_dir)
    if args.amp:
        enable_amp(cfg, args.amp)
    set_resume(cfg, args.resume or restarted_resume())
    check_config_data(
        cfg, data_loaders_for('train', cfg), decode_files=args.check_files)
    compile_kwargs = take_compile_option(cfg, args.compile)
    runner = build_runner(cfg)
    if compile_kwargs is not None:
        compile_forward(runner.model, compile_kwargs)
    try:
        runner.train()
    except Exception as error:
        # The data loader's error names the file; say where the run was.
        runner.logger.error(
            f'training stopped in iteration {runner.iter + 1} by '
            f'{type(error).__name__}: {error}. Newest checkpoint: '
            f'{newest_loadable_checkpoint(runner.work_dir) or "none"} '
            '(continue with --resume; --check-files finds bad files before '
            'a run)')
        raise
    del runner  # its DDP model must go before the process group
    shutdown_distributed()


if __name__ == '__main__':
    main()
