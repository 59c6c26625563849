"""Make Cityscapes' ``*_gtFine_labelTrainIds.png`` from the official polygons.

    python tools/dataset_converters/cityscapes.py data/cityscapes [--nproc 8]
        [--splits train val]

Reads ``gtFine/{split}/<city>/*_gtFine_polygons.json``
(``gtFine_trainvaltest.zip`` unpacked into the data root, beside
``leftImg8bit/``) and writes
``*_gtFine_labelTrainIds.png`` next to each, drawn by cityscapesscripts
(trainIds: 0..18, 255 = ignored) — what the Cityscapes configs read.
"""
import argparse

from mmseg_depict.dataset_prep.converters import cityscapes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root', help='the folder holding gtFine/')
    parser.add_argument(
        '--splits',
        nargs='+',
        default=['train', 'val'],
        choices=['train', 'val', 'test'])
    parser.add_argument('--nproc', type=int, default=1)
    args = parser.parse_args(argv)
    counts = cityscapes.convert_cityscapes(args.data_root, args.splits,
                                           args.nproc)
    for split, n in counts.items():
        official = cityscapes.SPLIT_SIZES[split]
        note = ('' if n == official else
                f' (the official {split} has {official})')
        print(f'{split}: {n} label maps{note}')


if __name__ == '__main__':
    main()
