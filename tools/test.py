"""Test (and evaluate) a checkpoint: mIoU for mmseg configs, the config's
metrics (e.g. PQ) for mmdet configs. Same flags as mmsegmentation's
``tools/test.py``."""
import argparse

import mmseg_depict  # noqa: F401  (registries, safe checkpoint loading)
from mmseg_depict.cli import (add_runner_args, add_test_writers, build_runner,
                              data_loaders_for, load_config, parse_runner_args,
                              set_test_outputs, set_tta, shutdown_distributed)
from mmseg_depict.datasets import check_config_data
from mmseg_depict.engine import compile_forward, take_compile_option


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out',
        type=str,
        help='mmseg: directory for the predicted label maps; mmdet: .pkl '
        'file for the raw predictions')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir', help='directory where painted images will be saved')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--tta', action='store_true', help='test time augmentation')
    add_runner_args(parser)
    return parse_runner_args(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.launcher,
                      args.work_dir)
    cfg.load_from = args.checkpoint
    set_test_outputs(cfg, args.out, args.show, args.show_dir, args.wait_time)
    check_config_data(
        cfg, data_loaders_for('test', cfg), decode_files=args.check_files)
    if args.tta:
        set_tta(cfg)
    compile_kwargs = take_compile_option(cfg, args.compile)
    runner = build_runner(cfg)
    if compile_kwargs is not None:
        compile_forward(runner.model, compile_kwargs)
    add_test_writers(runner, args.out)
    runner.test()
    del runner  # its DDP model must go before the process group
    shutdown_distributed()


if __name__ == '__main__':
    main()
