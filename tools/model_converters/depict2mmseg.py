"""Convert a DEPICT / Segmenter training checkpoint for our DEPICT configs.

    python tools/model_converters/depict2mmseg.py SRC DST [--img-size H W]
        [--dataset ade20k|cityscapes|pascal_context_59]

SRC holds ``model`` (``encoder.*`` timm-style ViT, ``decoder.*`` in the SA or
CA layout, detected from the keys). The release builds its ViT at the
training crop, so the stored position embedding already has the grid of the
matching config's ``img_size`` (512 -> 32x32, 480 -> 30x30, 768 -> 48x48)
and is kept as is: at other input sizes both resize it from that grid
(bilinear). ``--img-size`` resizes it once more, for a config with another
``img_size``; the model then differs slightly from the release's at every
size but that one. DST records the
dataset's class names and palette (``meta.dataset_meta``; ``--dataset``,
else the dataset with the checkpoint's number of classes) for the
inferencers. DeiT-distilled
encoders need ``backbone=dict(type='DistilledVisionTransformer', ...)``.
"""
import argparse

from mmengine.runner.checkpoint import save_checkpoint

from mmseg_depict.converters import convert_depict
from mmseg_depict.datasets.metainfo import (dataset_meta, dataset_names,
                                            semantic_dataset_for)
from mmseg_depict.fileio import safe_torch_load


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='DEPICT / Segmenter checkpoint')
    parser.add_argument('dst', help='converted checkpoint to write')
    parser.add_argument(
        '--img-size',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help="a backbone img_size other than the checkpoint's training "
        'crop (default: keep the stored position-embedding grid)')
    parser.add_argument('--patch-size', type=int, default=16)
    parser.add_argument(
        '--dataset',
        choices=dataset_names(panoptic=False),
        help='dataset the checkpoint was trained on (default: the one with '
        "the checkpoint's number of classes)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    source = safe_torch_load(args.src, map_location='cpu')
    model_state = source.get('model', source)
    grid = None if args.img_size is None else tuple(s // args.patch_size
                                                    for s in args.img_size)
    state_dict, info = convert_depict(model_state, grid)
    stored = info['pos_embed_grid']
    dataset = args.dataset or semantic_dataset_for(info['num_classes'])
    if dataset is None:
        raise ValueError(
            f"{args.src}: no known dataset has {info['num_classes']} classes; "
            'name it with --dataset')
    meta = dataset_meta(dataset)
    if len(meta['classes']) != info['num_classes']:
        raise ValueError(
            f"{args.src} has {info['num_classes']} classes, --dataset "
            f"{dataset} has {len(meta['classes'])}")
    save_checkpoint(
        dict(
            state_dict=state_dict,
            meta=dict(converted_from=args.src, dataset_meta=meta, **info)),
        args.dst)
    backbone = ('DistilledVisionTransformer'
                if info['distilled'] else 'FusedVisionTransformer')
    print(
        f"{args.dst}: DEPICT-{info['mode'].upper()}, {backbone} "
        f"(embed_dims={info['embed_dims']}, num_layers={info['num_layers']}), "
        f"{info['decoder_layers']} self + {info['cross_layers']} cross "
        f"decoder layers, num_classes={info['num_classes']}, pos_embed "
        f'grid {stored[0]}x{stored[1]} '
        f'({"as stored" if grid is None else "resized"}) -> img_size '
        f'{stored[0] * args.patch_size}x{stored[1] * args.patch_size}, '
        f'classes of {dataset}')


if __name__ == '__main__':
    main()
