"""Write a deterministic procedural dataset in a real dataset's layout.

    python tools/misc/generate_synthetic_dataset.py ade20k \
        data/synthetic/ade/ADEChallengeData2016 --num-train 400 --num-val 50

Skips the work when the folder already holds the same data (same layout,
counts, size and seed).
"""
import argparse
import json
import os.path as osp

from mmseg_depict.dataset_prep.synthetic import SYNTHETIC_MAKERS

MANIFEST = 'synthetic_dataset.json'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('layout', choices=sorted(SYNTHETIC_MAKERS))
    parser.add_argument(
        'data_root',
        help='the folder a config reads as '
        'data_root (e.g. .../ADEChallengeData2016)')
    parser.add_argument('--num-train', type=int, default=400)
    parser.add_argument('--num-val', type=int, default=50)
    parser.add_argument(
        '--size', type=int, nargs=2, default=(256, 256), metavar=('H', 'W'))
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    spec = dict(
        layout=args.layout,
        num_train=args.num_train,
        num_val=args.num_val,
        size=list(args.size),
        seed=args.seed)
    manifest = osp.join(args.data_root, MANIFEST)
    if osp.isfile(manifest):
        with open(manifest) as f:
            if json.load(f) == spec:
                print(f'{args.data_root}: already generated, skipping')
                return
    SYNTHETIC_MAKERS[args.layout](args.data_root, args.num_train, args.num_val,
                                  tuple(args.size), args.seed)
    # Written last: its presence means the folder is complete.
    with open(manifest, 'w') as f:
        json.dump(spec, f)
    print(f'{args.data_root}: wrote {args.num_train} train / {args.num_val} '
          f'val images ({args.layout} layout)')


if __name__ == '__main__':
    main()
