"""Compare trained semantic heads on one split of their dataset: accuracy
(mIoU, mAcc, aAcc, per-class and boundary IoU; mean ± std over seeds),
paired-bootstrap intervals of every mIoU difference, and robustness to
image corruptions and to noise on the decoder's parameters; writes
REPORT_DIR/report.md, report.json and figures/.

    python tools/analysis_tools/compare_trained_heads.py \\
        --head DEPICT-SA configs/camvid/depict-sa_....py seed0.pth seed1.pth \\
        --head Segmenter configs/camvid/segmenter_....py seed0.pth \\
        --out work_dirs/head_report [--split val] \\
        [--corruptions gaussian_noise ... | none] [--severities 1 2 3 4 5] \\
        [--robustness-images 20] [--noise-sigmas 0.001 ... 0.1 | none] \\
        [--noise-draws 3] [--bootstrap 1000] [--seed 0] \\
        [--cost-shape 540 720] [--workers 0] [--fuse-conv-bn] \\
        [--retain-freed-memory]

Every checkpoint is evaluated on the whole split as tools/test.py evaluates
it (the config's test pipeline); corruptions and decoder-parameter noise
use each head's first checkpoint on --robustness-images images spread over
the split. Each
evaluation is cached under REPORT_DIR/cache (keyed by the config's and the
checkpoint's path, size and time): run the same command again to resume an
interrupted report or to redraw it.
"""
import argparse
import sys

import mmseg_depict  # noqa: F401
from mmseg_depict.apis.head_report import (NOISE_SIGMAS, TrainedHead,
                                           build_report)
from mmseg_depict.datasets.transforms.image_corruption import CORRUPTIONS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--head',
        nargs='+',
        action='append',
        required=True,
        metavar='NAME CONFIG CHECKPOINT',
        help='a head: its name, config and one checkpoint per seed '
        '(repeat --head for each head)')
    parser.add_argument('--out', required=True, help='report folder')
    parser.add_argument('--split', default='val', choices=('val', 'test'))
    parser.add_argument(
        '--corruptions',
        nargs='+',
        default=sorted(CORRUPTIONS),
        help=f'any of {sorted(CORRUPTIONS)}, or none')
    parser.add_argument(
        '--severities', type=int, nargs='+', default=[1, 2, 3, 4, 5])
    parser.add_argument(
        '--robustness-images',
        type=int,
        default=20,
        help='images of the split the corruptions run on (0: all)')
    parser.add_argument(
        '--noise-sigmas',
        nargs='+',
        default=[str(s) for s in NOISE_SIGMAS],
        help='standard deviations of the noise added to the decode head\'s '
        'parameters (absolute), or none')
    parser.add_argument(
        '--noise-draws', type=int, default=3, help='noise draws per sigma')
    parser.add_argument(
        '--bootstrap', type=int, default=1000, help='bootstrap resamples')
    parser.add_argument(
        '--cost-shape',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='also measure each head\'s params, FLOPs, latency and '
        'training step at this input size (e.g. the test scale)')
    parser.add_argument(
        '--workers',
        type=int,
        help='data loader workers of the evaluations (default: the '
        'config\'s; 0 loads in the evaluating process)')
    parser.add_argument(
        '--fuse-conv-bn',
        action='store_true',
        help='fold the backbone\'s BatchNorms into its convolutions '
        '(faster; equal up to float rounding)')
    parser.add_argument(
        '--retain-freed-memory',
        action='store_true',
        help='let glibc keep freed memory for reuse during the evaluations '
        '(fewer page faults on large images; after the cost is measured)')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the corruptions and of the bootstrap draws')
    args = parser.parse_args(argv)
    for head in args.head:
        if len(head) < 3:
            parser.error(f'--head {" ".join(head)}: expected a name, a '
                         'config and at least one checkpoint')
    if args.corruptions == ['none']:
        args.corruptions = []
    unknown = sorted(set(args.corruptions) - set(CORRUPTIONS))
    if unknown:
        parser.error(f'--corruptions: unknown {unknown}; expected any of '
                     f'{sorted(CORRUPTIONS)} or none')
    if args.noise_sigmas == ['none']:
        args.noise_sigmas = []
    try:
        args.noise_sigmas = [float(s) for s in args.noise_sigmas]
    except ValueError:
        parser.error(f'--noise-sigmas: expected numbers or none, got '
                     f'{args.noise_sigmas}')
    if any(not s >= 0 for s in args.noise_sigmas) or args.noise_draws < 1:
        parser.error('--noise-sigmas must be >= 0 and --noise-draws >= 1')
    bad = [s for s in args.severities if s not in range(1, 6)]
    if bad:
        parser.error(f'--severities: {bad} not in 1..5')
    return args


def main(argv=None):
    args = parse_args(argv)
    heads = [TrainedHead(h[0], h[1], h[2:]) for h in args.head]
    try:
        build_report(
            heads,
            args.out,
            split=args.split,
            corruptions=args.corruptions,
            severities=args.severities,
            robustness_images=args.robustness_images or None,
            bootstrap_resamples=args.bootstrap,
            seed=args.seed,
            noise_sigmas=args.noise_sigmas,
            noise_draws=args.noise_draws,
            cost_shape=args.cost_shape,
            num_workers=args.workers,
            fuse_conv_bn=args.fuse_conv_bn,
            retain_freed_memory=args.retain_freed_memory,
            progress=lambda line: print(line, flush=True))
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f'error: {error}')
    print(f'wrote {args.out}/report.md, report.json and figures/')


if __name__ == '__main__':
    main()
