"""Convert your own annotation export into a dataset folder every head of
ours trains on (then write a config with tools/misc/write_dataset_config.py).

    # COCO instances JSON (CVAT, Label Studio, Roboflow):
    python tools/dataset_converters/custom_dataset.py coco ANN.json \
        --images IMG_DIR --out data/mine [--stuff sky road ...] \
        [--val ANN_VAL.json --val-images VAL_IMG_DIR | --val-fraction 0.2]
    # labelme JSON files (one per image):
    python tools/dataset_converters/custom_dataset.py labelme LABELME_DIR \
        --out data/mine [--classes classes.txt] [--stuff ...]
    # painted label PNGs (semantic only) and a class list:
    python tools/dataset_converters/custom_dataset.py masks \
        --images IMG_DIR --labels LABEL_DIR --classes classes.txt \
        --out data/mine [--ignore-index 11] \
        [--val-images VAL_DIR --val-labels VAL_LABEL_DIR | --val-fraction 0.2]

``--classes`` is a text file, one class name per line (index order).
``--ignore-index`` names a label value that means unlabelled besides 255
(written as 255). Without ``--val`` / ``--val-images`` / a split of your own,
``--val-fraction`` (default 0.2,
seeded by ``--seed``) of the images go to val. The whole export is checked
before anything is written; the output folder appears only when complete.
Layout and the overlap rule: mmseg_depict/dataset_prep/converters/
custom_dataset.py and docs/custom_dataset.md.
"""
import argparse
import sys

from mmengine.utils import ProgressBar

from mmseg_depict.dataset_prep.converters import custom_dataset as custom


def _class_list(path):
    if path is None:
        return None
    with open(path) as f:
        names = [line.strip() for line in f if line.strip()]
    if not names:
        raise custom.CustomDatasetError(f'{path}: no class names')
    return names


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    kinds = parser.add_subparsers(dest='kind', required=True)
    coco = kinds.add_parser('coco', help='COCO instances JSON')
    coco.add_argument('ann_file')
    coco.add_argument('--images', required=True, help='image folder')
    coco.add_argument('--val', help='a separate validation JSON')
    coco.add_argument('--val-images', help='its image folder')
    labelme = kinds.add_parser('labelme', help='labelme JSON folder')
    labelme.add_argument('folder')
    masks = kinds.add_parser('masks', help='painted label PNGs')
    masks.add_argument('--images', required=True)
    masks.add_argument('--labels', required=True)
    masks.add_argument(
        '--ignore-index',
        type=int,
        help='a label value that means unlabelled besides 255 '
        '(e.g. 11 for CamVid\'s void)')
    masks.add_argument('--val-images', help='a separate validation split')
    masks.add_argument('--val-labels', help='its label folder')
    for sub in (coco, labelme, masks):
        sub.add_argument('--out', required=True, help='new dataset folder')
        sub.add_argument('--val-fraction', type=float, default=0.2)
        sub.add_argument('--seed', type=int, default=0)
        sub.add_argument(
            '--classes',
            required=sub is masks,
            help='text file, one class name per line')
        if sub is not masks:
            sub.add_argument(
                '--stuff', nargs='+', default=[], help='stuff class names')
    return parser.parse_args(argv)


def read_export(args) -> custom.Export:
    if args.kind == 'coco':
        if bool(args.val) != bool(args.val_images):
            raise custom.CustomDatasetError(
                '--val and --val-images go together')
        split = 'train' if args.val else None
        export = custom.read_coco_instances(args.ann_file, args.images,
                                            args.stuff, split)
        if args.val:
            val = custom.read_coco_instances(args.val, args.val_images,
                                             args.stuff, 'val')
            if val.classes != export.classes:
                raise custom.CustomDatasetError(
                    f'{args.val}: categories {val.classes} differ from '
                    f'{args.ann_file}\'s {export.classes}')
            export.samples += val.samples
        if args.classes:
            wanted = _class_list(args.classes)
            if sorted(wanted) != sorted(export.classes):
                raise custom.CustomDatasetError(
                    f'{args.classes} lists {wanted}, the export has '
                    f'{export.classes}')
        return export
    if args.kind == 'labelme':
        return custom.read_labelme(args.folder, _class_list(args.classes),
                                   args.stuff)
    if bool(args.val_images) != bool(args.val_labels):
        raise custom.CustomDatasetError(
            '--val-images and --val-labels go together')
    classes = _class_list(args.classes)
    split = 'train' if args.val_images else None
    export = custom.read_label_pngs(args.images, args.labels, classes,
                                    args.ignore_index, split)
    if args.val_images:
        export.samples += custom.read_label_pngs(args.val_images,
                                                 args.val_labels, classes,
                                                 args.ignore_index,
                                                 'val').samples
    return export


def main(argv=None):
    args = parse_args(argv)
    try:
        export = read_export(args)
        bar = ProgressBar(len(export.samples))
        summary = custom.write_dataset(export, args.out, args.val_fraction,
                                       args.seed, bar.update)
    except custom.CustomDatasetError as err:
        sys.exit(f'error: {err}')
    print(f'\n{args.out}: {len(summary["classes"])} classes '
          f'({len(summary["thing_classes"])} things, '
          f'{len(summary["stuff_classes"])} stuff)')
    print('| split | images | thing segments | stuff segments | crowd | '
          'things fully covered (dropped) |')
    print('|---|---|---|---|---|---|')
    for split, c in summary['counts'].items():
        print(f'| {split} | {c["images"]} | {c["thing_segments"]} | '
              f'{c["stuff_segments"]} | {c["crowd_segments"]} | '
              f'{c["dropped_things"]} |')
    print('next: python tools/misc/write_dataset_config.py '
          f'{args.out} --head depict-sa --out configs/mine/depict-sa_mine.py')


if __name__ == '__main__':
    main()
