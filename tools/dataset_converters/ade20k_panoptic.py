"""Make ADE20K-panoptic (COCO panoptic format) from the ADE20K semantic and
instance annotations, without panopticapi.

    python tools/dataset_converters/ade20k_panoptic.py \
        data/ade/ADEChallengeData2016

Needs ``images/``, ``annotations/``, ``annotations_instance/`` and
``categoryMapping.txt`` in that folder; writes
``ade20k_panoptic_{train,val}.json`` and ``ade20k_panoptic_{train,val}/``
next to them.
"""
import argparse

from mmseg_depict.dataset_prep.converters import convert_ade20k_panoptic


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root', help='the ADEChallengeData2016 folder')
    parser.add_argument(
        '--splits',
        nargs='+',
        default=['train', 'val'],
        choices=['train', 'val'])
    args = parser.parse_args(argv)
    convert_ade20k_panoptic(args.data_root, args.splits)
    print(f'wrote ADE20K-panoptic {", ".join(args.splits)} under '
          f'{args.data_root}')


if __name__ == '__main__':
    main()
