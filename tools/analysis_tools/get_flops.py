"""Parameters and FLOPs of a config's model, whole and decode head.

    python tools/analysis_tools/get_flops.py CONFIG [--shape H W]

FLOPs are counted by mmengine's analyzer (plus fused attention) on one image
of the given size (default: the config's crop / backbone img_size) and
reported as 2 x multiply-adds, the convention of the DEPICT and Segmenter
papers; multiply-adds are printed too.
"""
import argparse

from mmengine.config import Config, DictAction

import mmseg_depict  # noqa: F401
from mmseg_depict.utils.model_analysis import (build_model, count_params,
                                               default_shape,
                                               model_and_head_macs)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'))
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model, task = build_model(cfg)
    shape = tuple(args.shape) if args.shape else default_shape(cfg)
    model_macs, head_macs, head = model_and_head_macs(model, task, shape)
    print(f'config: {args.config}\ninput: 1x3x{shape[0]}x{shape[1]}')
    print('| part | params (M) | GFLOPs | GMACs |\n|---|---|---|---|')
    for part, module, macs in (('model', model, model_macs),
                               ('decode head', head, head_macs)):
        print(f'| {part} | {count_params(module):.3f} | '
              f'{2 * macs / 1e9:.2f} | {macs / 1e9:.2f} |')


if __name__ == '__main__':
    main()
