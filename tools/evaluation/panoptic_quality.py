"""PQ / SQ / RQ of COCO-panoptic predictions (PNG folder + JSON), offline.

    python tools/evaluation/panoptic_quality.py \
        data/cityscapes/gtFine/cityscapes_panoptic_val.json \
        data/cityscapes/gtFine/cityscapes_panoptic_val \
        work_dirs/pred/panoptic.json work_dirs/pred/panoptic \
        [--nproc 8] [--out metrics.json]

Predictions pair with the ground truth by ``image_id``; their categories
match by name when the prediction JSON lists them (as
``PanopticQualityMetric(output_dir=...)`` writes it), else by id. No
panopticapi, and no torch / mmdet / mmseg either: the tool loads only the
numpy + cv2 modules it needs. Images are read and counted in ``--nproc``
processes, one pair at a time each; the peak memory (RSS) of the tool and
of its largest worker is printed at the end.
"""
import argparse
import json

from offline_tools import Progress, peak_memory_line, tune_for_many_images

from mmseg_depict_light.panoptic_folders import PanopticFolders


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('gt_json')
    parser.add_argument('gt_folder')
    parser.add_argument('pred_json')
    parser.add_argument('pred_folder')
    parser.add_argument('--nproc', type=int, default=1)
    parser.add_argument('--out', help='also write the metrics as JSON')
    args = parser.parse_args(argv)
    tune_for_many_images()
    folders = PanopticFolders(args.gt_json, args.gt_folder, args.pred_json,
                              args.pred_folder)
    stats = folders.stats(args.nproc, progress=Progress(len(folders.pairs)))
    summary = stats.summary(folders.isthing)
    print(f'{len(folders.pairs)} images')
    print('| group | PQ | SQ | RQ | categories |')
    print('|---|---|---|---|---|')
    metrics = {}
    for group, suffix in (('All', ''), ('Things', '_th'), ('Stuff', '_st')):
        g = summary[group]
        print(f"| {group} | {100 * g['pq']:.2f} | {100 * g['sq']:.2f} | "
              f"{100 * g['rq']:.2f} | {g['n']} |")
        for key in ('pq', 'sq', 'rq'):
            metrics[key.upper() + suffix] = 100 * g[key]
    print(peak_memory_line())
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(metrics, f, indent=2)


if __name__ == '__main__':
    main()
