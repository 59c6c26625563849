"""Write a config that trains a head of ours on a dataset folder made by
tools/dataset_converters/custom_dataset.py.

    python tools/misc/write_dataset_config.py DATASET_DIR --head HEAD \
        --out CONFIG.py [--backbone t|s|b|l|efficientnet-lite0] [--crop H W]

HEAD: depict-sa, depict-ca (ViT --backbone, default s), mask2former
(semantic), mask2former-panoptic, detr-panoptic. The config inherits the
ADE20K config of that head and sets the data, classes, palette, class
counts and crop sizes fitted to the images; then run tools/train.py and
tools/test.py on it as on any config (mIoU for semantic heads, PQ for
panoptic ones). ``--backbone efficientnet-lite0`` inherits the CPU recipe
of configs/camvid/ instead (ImageNet-pretrained EfficientNet-Lite0, 1000
steps; HEAD also fcn, segformer-head, segmenter, detr-seg).
"""
import argparse
import sys

from mmseg_depict.dataset_prep.converters import CustomDatasetError
from mmseg_depict.dataset_prep.custom_config import (BACKBONES, HEADS, LITE_HEADS,
                                                 write_dataset_config)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('dataset_dir')
    parser.add_argument(
        '--head', required=True, choices=sorted({*HEADS, *LITE_HEADS}))
    parser.add_argument('--out', required=True, help='config file to write')
    parser.add_argument('--backbone', default='s', choices=BACKBONES)
    parser.add_argument('--crop', nargs=2, type=int, metavar=('H', 'W'))
    args = parser.parse_args(argv)
    try:
        path = write_dataset_config(
            args.dataset_dir,
            args.head,
            args.out,
            backbone=args.backbone,
            crop=args.crop)
    except CustomDatasetError as err:
        sys.exit(f'error: {err}')
    print(f'wrote {path}; train with: python tools/train.py {path}')


if __name__ == '__main__':
    main()
