"""Check a prepared dataset before a long run.

    python tools/misc/check_dataset.py ROOT \
        --dataset ade20k|camvid|cityscapes|pascal_context_59|coco_panoptic|
                  ade20k_panoptic|cityscapes_panoptic|custom|custom_panoptic
        [--skip-counts] [--nproc 8] [--show 20]

ROOT is what the config's ``data_root`` points at
(``data/ade/ADEChallengeData2016``, ``data/CamVid``, ``data/cityscapes``,
``data/VOCdevkit/VOC2010``). Per split: the number of images
against the official one (ADE20K 20,210 / 2,000; CamVid 367 / 101 / 233,
test checked when present; Cityscapes 2,975 / 500;
PASCAL-Context 4,996 / 5,104), every image paired with its label map, every
label map readable, single-channel, of its image's size and with values that
are classes (or the ignore value). Panoptic layouts: every JSON image with
its image file and panoptic PNG (readable, the image's size), every segment
id of the JSON in the PNG and back, category ids known. ``custom`` /
``custom_panoptic``: a folder written by
tools/dataset_converters/custom_dataset.py (counts from its dataset.json).
Prints a summary table and the first
problems with their files; exits with status 1 if there is any problem.
``--skip-counts`` accepts a subset of the official splits.
"""
import argparse
import sys

from mmseg_depict.dataset_prep.prepared_dataset_check import (DATASETS,
                                                          check_dataset,
                                                          summary_table)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('root', help="the config's data_root")
    parser.add_argument('--dataset', required=True, choices=DATASETS)
    parser.add_argument(
        '--skip-counts',
        action='store_true',
        help='do not compare split sizes with the official ones')
    parser.add_argument('--nproc', type=int, default=1)
    parser.add_argument(
        '--show', type=int, default=20, help='problems listed (default 20)')
    args = parser.parse_args(argv)
    reports = check_dataset(args.root, args.dataset, not args.skip_counts,
                            args.nproc)
    print('\n' + summary_table(reports))
    problems = [p for r in reports for p in r.problems]
    if not problems:
        print(f'\n{args.dataset} at {args.root}: no problems found')
        return 0
    print(f'\n{len(problems)} problems:')
    for message in problems[:args.show]:
        print(f'  {message}')
    if len(problems) > args.show:
        print(f'  ... and {len(problems) - args.show} more (--show)')
    return 1


if __name__ == '__main__':
    sys.exit(main())
