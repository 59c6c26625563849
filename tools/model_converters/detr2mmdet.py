"""Convert a DETR authors' panoptic checkpoint for our DETR panoptic configs.

    python tools/model_converters/detr2mmdet.py SRC DST \
        [--dataset coco_panoptic]

SRC holds ``model`` with ``detr.*`` (backbone, transformer, class / box
heads), ``bbox_attention.*`` and ``mask_head.*``. Use DST with
``configs/detr_panoptic/detr-panoptic_r{50,101}_*_coco-panoptic.py`` (the
COCO release has 250 class rows; set ``num_things_classes`` /
``num_stuff_classes`` to match when they differ from 80 / 53 + padding).
DST records the dataset's class names, thing / stuff split and palette
(``meta.dataset_meta``) for the inferencers.
"""
import argparse

from mmengine.runner.checkpoint import save_checkpoint

from mmseg_depict.converters import convert_detr_panoptic
from mmseg_depict.datasets.metainfo import dataset_meta, dataset_names
from mmseg_depict.fileio import safe_torch_load


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='DETR panoptic checkpoint')
    parser.add_argument('dst', help='converted checkpoint to write')
    parser.add_argument(
        '--dataset',
        default='coco_panoptic',
        choices=dataset_names(panoptic=True),
        help='dataset the checkpoint was trained on (the release: COCO)')
    args = parser.parse_args(argv)
    source = safe_torch_load(args.src, map_location='cpu')
    state_dict, info = convert_detr_panoptic(source.get('model', source))
    save_checkpoint(
        dict(
            state_dict=state_dict,
            meta=dict(
                converted_from=args.src,
                dataset_meta=dataset_meta(args.dataset),
                **info)), args.dst)
    print(f"{args.dst}: ResNet-{info['depth']}, {info['encoder_layers']}+"
          f"{info['decoder_layers']} transformer layers, "
          f"{info['num_queries']} queries, {info['num_classes']} class rows "
          '(no-object last)')


if __name__ == '__main__':
    main()
