"""Make Cityscapes-panoptic (COCO panoptic format) with cityscapesscripts'
``csCreatePanopticImgs``.

    python tools/dataset_converters/cityscapes_panoptic.py data/cityscapes

Reads ``gtFine/{split}/<city>/*_gtFine_instanceIds.png``; writes
``gtFine/cityscapes_panoptic_{split}.json`` and
``gtFine/cityscapes_panoptic_{split}/``.
"""
import argparse

from mmseg_depict.dataset_prep.converters import convert_cityscapes_panoptic


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root', help='the folder holding gtFine/')
    parser.add_argument(
        '--splits',
        nargs='+',
        default=['train', 'val'],
        choices=['train', 'val', 'test'])
    args = parser.parse_args(argv)
    convert_cityscapes_panoptic(args.data_root, args.splits)


if __name__ == '__main__':
    main()
