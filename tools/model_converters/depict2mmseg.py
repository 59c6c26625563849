"""Convert a DEPICT / Segmenter training checkpoint for our DEPICT configs.

    python tools/model_converters/depict2mmseg.py SRC DST [--img-size 512 512]

SRC holds ``model`` (``encoder.*`` timm-style ViT, ``decoder.*`` in the SA or
CA layout, detected from the keys). The position embedding is resized to the
config's training grid (``--img-size`` / ``--patch-size``). DeiT-distilled
encoders need ``backbone=dict(type='DistilledVisionTransformer', ...)``.
"""
import argparse

from mmengine.runner.checkpoint import save_checkpoint

from mmseg_depict.engine import safe_torch_load
from mmseg_depict.models.utils import convert_depict


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='DEPICT / Segmenter checkpoint')
    parser.add_argument('dst', help='converted checkpoint to write')
    parser.add_argument(
        '--img-size',
        type=int,
        nargs=2,
        default=(512, 512),
        metavar=('H', 'W'),
        help="the config's backbone img_size (training crop)")
    parser.add_argument('--patch-size', type=int, default=16)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    source = safe_torch_load(args.src, map_location='cpu')
    model_state = source.get('model', source)
    grid = tuple(s // args.patch_size for s in args.img_size)
    state_dict, info = convert_depict(model_state, grid)
    save_checkpoint(
        dict(state_dict=state_dict, meta=dict(converted_from=args.src, **info)),
        args.dst)
    backbone = ('DistilledVisionTransformer'
                if info['distilled'] else 'VisionTransformer')
    print(f"{args.dst}: DEPICT-{info['mode'].upper()}, {backbone} "
          f"(embed_dims={info['embed_dims']}, num_layers={info['num_layers']}), "
          f"{info['decoder_layers']} self + {info['cross_layers']} cross "
          f"decoder layers, num_classes={info['num_classes']}, pos_embed "
          f'grid {grid[0]}x{grid[1]}')


if __name__ == '__main__':
    main()
