"""mIoU of saved semantic predictions against label maps, offline.

    python tools/evaluation/semantic_iou.py GT_DIR PRED_DIR --num-classes K
        [--ignore-index 255] [--reduce-zero-label] [--gt-suffix .png]
        [--pred-suffix .png] [--dataset ade20k|cityscapes|pascal_context_59]
        [--nproc 8] [--out metrics.json]

PRED_DIR holds one single-channel PNG per label map, with the label map's
path below GT_DIR (or just its file name: what ``tools/test.py --out`` writes)
and ``--pred-suffix`` for ``--gt-suffix``; both in the dataset's own encoding
(``--reduce-zero-label`` for ADE20K / PASCAL-Context: file value v is class
v - 1, 0 is ignored — mmseg writes predictions that way). Prints mmseg's
per-class table and aAcc / mIoU / mAcc, computed as mmseg's ``IoUMetric``
does. Starts without torch / mmdet / mmseg (``--dataset``, for class names,
imports mmseg); images are read in ``--nproc`` processes, one pair at a time.
"""
import argparse
import json

from offline_tools import Progress, peak_memory_line, tune_for_many_images

from mmseg_depict_light import semantic_folders as folders


def class_names(dataset, num_classes):
    if dataset is None:
        return [str(k) for k in range(num_classes)]
    import mmseg_depict.datasets.metainfo as metainfo  # imports mmseg
    names = list(metainfo.dataset_meta(dataset)['classes'])
    if len(names) != num_classes:
        raise ValueError(f'--dataset {dataset} has {len(names)} classes, '
                         f'--num-classes is {num_classes}')
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('gt_dir')
    parser.add_argument('pred_dir')
    parser.add_argument('--num-classes', type=int, required=True)
    parser.add_argument('--ignore-index', type=int, default=255)
    parser.add_argument('--reduce-zero-label', action='store_true')
    parser.add_argument('--gt-suffix', default='.png')
    parser.add_argument('--pred-suffix', default='.png')
    parser.add_argument('--dataset', help='print this dataset\'s class names')
    parser.add_argument('--nproc', type=int, default=1)
    parser.add_argument('--out', help='also write the metrics as JSON')
    args = parser.parse_args(argv)
    tune_for_many_images()
    pairs = folders.pair_label_files(args.gt_dir, args.pred_dir,
                                     args.gt_suffix, args.pred_suffix)
    areas = folders.dataset_areas(pairs, args.num_classes, args.ignore_index,
                                  args.reduce_zero_label, args.nproc,
                                  Progress(len(pairs)))
    metrics = folders.iou_metrics(areas)
    names = class_names(args.dataset, args.num_classes)
    print(f'{len(pairs)} images\n')
    print('| Class | IoU | Acc |')
    print('|---|---:|---:|')
    for name, iou, acc in zip(names, metrics['IoU'], metrics['Acc']):
        print(f'| {name} | {100 * iou:.2f} | {100 * acc:.2f} |')
    print('\n| aAcc | mIoU | mAcc |\n|---:|---:|---:|')
    print(f"| {100 * metrics['aAcc']:.2f} | {100 * metrics['mIoU']:.2f} | "
          f"{100 * metrics['mAcc']:.2f} |")
    print(peak_memory_line())
    if args.out:
        out = {
            k: (v.tolist() if hasattr(v, 'tolist') else v)
            for k, v in metrics.items()
        }
        out = {
            k: (None if isinstance(v, float) and v != v else v)
            for k, v in out.items()
        }
        with open(args.out, 'w') as f:
            json.dump(dict(out, classes=names, images=len(pairs)), f)


if __name__ == '__main__':
    main()
