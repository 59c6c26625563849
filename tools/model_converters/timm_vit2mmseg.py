"""Convert a timm ViT / DeiT checkpoint into mmseg ViT backbone weights.

    python tools/model_converters/timm_vit2mmseg.py SRC DST \
        [--img-size 512 512]

The key mapping is mmseg's own (``vit2mmseg.convert_vit``); on top, the
position embedding can be resized to the training grid and DeiT-distilled
checkpoints (``dist_token``) keep their extra token for
``DistilledVisionTransformer``. Use DST as ``model.pretrained`` in a config.
"""
import argparse

from mmengine.runner.checkpoint import save_checkpoint

from mmseg_depict.converters import convert_timm_vit
from mmseg_depict.fileio import safe_torch_load


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='timm ViT state dict / checkpoint')
    parser.add_argument('dst', help='converted backbone weights to write')
    parser.add_argument(
        '--img-size',
        type=int,
        nargs=2,
        default=None,
        metavar=('H', 'W'),
        help='resize the position embedding to this input size '
        '(default: keep it; mmseg resizes it when loading)')
    parser.add_argument('--patch-size', type=int, default=16)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    source = safe_torch_load(args.src, map_location='cpu')
    for key in ('state_dict', 'model'):
        source = source.get(key, source)
    grid = (
        tuple(s // args.patch_size
              for s in args.img_size) if args.img_size else None)
    state_dict, info = convert_timm_vit(source, grid)
    save_checkpoint(dict(state_dict=state_dict, meta=info), args.dst)
    print(f'{args.dst}: ViT with embed_dims={info["embed_dims"]}, '
          f'num_layers={info["num_layers"]}, distilled={info["distilled"]}')


if __name__ == '__main__':
    main()
