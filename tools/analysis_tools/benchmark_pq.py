"""End-to-end time of the offline PQ tool against panopticapi's method, on
the same folders, each run as a user runs it (a fresh process).

    python tools/analysis_tools/benchmark_pq.py [--num-images 200]
        [--shape 512 1024] [--nproc 2] [--rounds 3] [--keep DIR]

Writes Cityscapes-sized COCO-panoptic folders (stuff bands, thing instances,
crowd, VOID gaps, random 24-bit segment ids; predictions shifted, dropped,
relabelled and with spurious segments), then times
``tools/evaluation/panoptic_quality.py`` and
``tools/analysis_tools/panoptic_quality_baseline.py`` (panopticapi's
algorithm) on them, taking turns, ``--rounds`` times each with ``--nproc``
workers; prints the median wall times, their ratio, both tools' PQ / SQ / RQ
(they must agree) and the tool's peak memory.
"""
import argparse
import json
import os
import os.path as osp
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NUM_CATEGORIES = 19  # 8 things + 11 stuff, as Cityscapes
NUM_THINGS = 8


def panoptic_pair(seed: int, shape):
    rng = np.random.default_rng(seed)
    h, w = shape
    gt = np.zeros(shape, np.int32)
    segments = {}
    bands = np.sort(rng.choice(np.arange(1, h), 4, replace=False))
    for i, (top, bottom) in enumerate(zip([0, *bands], [*bands, h])):
        seg = 1 + i
        gt[top:bottom] = seg
        segments[seg] = (8 + int(rng.integers(11)), False)  # stuff
    yy, xx = np.ogrid[:h, :w]
    crowd_of = {}  # as in COCO files: one crowd segment per category
    for j in range(int(rng.integers(10, 30))):
        seg = 100 + j
        category, crowd = int(rng.integers(8)), rng.random() < 0.05
        if crowd:
            seg = crowd_of.setdefault(category, seg)
        cy, cx = rng.integers(0, h), rng.integers(0, w)
        ry, rx = rng.integers(10, h // 6), rng.integers(10, w // 10)
        gt[((yy - cy) / ry)**2 + ((xx - cx) / rx)**2 < 1] = seg
        segments[seg] = (category, crowd)
    gt[:, rng.integers(0, w, 3)] = 0  # VOID lines
    segments = {k: v for k, v in segments.items() if (gt == k).any()}
    pred = np.roll(gt, tuple(rng.integers(-8, 9, 2)), axis=(0, 1))
    for seg in rng.choice(list(segments), 3):
        pred[pred == seg] = 0  # missed segments
    pred[rng.integers(0, h // 2):, :rng.integers(1, w // 4)] = 9999
    pred_segments = {
        int(i):
        (segments[i][0] if i in segments and rng.random() < 0.9 else int(
            rng.integers(NUM_CATEGORIES)))
        for i in np.unique(pred) if i != 0
    }
    return gt, segments, pred, pred_segments


def id2rgb(ids: np.ndarray) -> np.ndarray:
    return np.stack([ids % 256, ids // 256 % 256, ids // 65536 % 256],
                    axis=-1).astype(np.uint8)


def write_folders(root: str, num_images: int, shape) -> tuple:
    """Ground-truth and prediction folders + JSONs; returns the four paths
    in the order both tools take them."""
    paths = [
        osp.join(root, 'gt.json'),
        osp.join(root, 'gt'),
        osp.join(root, 'pred.json'),
        osp.join(root, 'pred')
    ]
    os.makedirs(paths[1])
    os.makedirs(paths[3])
    categories = [
        dict(id=c, name=f'class{c}', isthing=int(c < NUM_THINGS))
        for c in range(NUM_CATEGORIES)
    ]
    gt_anns, pred_anns, images = [], [], []
    for i in range(num_images):
        gt, segments, pred, pred_segments = panoptic_pair(i, shape)
        rng = np.random.default_rng(10_000 + i)
        ids = sorted(set(segments) | set(pred_segments))
        code = dict(
            zip(
                ids,
                rng.choice(np.arange(1, 1 << 24), len(ids),
                           replace=False).tolist()))
        lut = np.zeros(max(ids) + 1, np.int64)
        lut[list(code)] = list(code.values())
        name = f'{i:06d}.png'
        # Written by PIL, as panopticapi writes them and as the COCO files
        # are (zlib level 6: a third of cv2's default size, faster to read).
        Image.fromarray(id2rgb(lut[gt])).save(osp.join(paths[1], name))
        Image.fromarray(id2rgb(lut[pred])).save(osp.join(paths[3], name))
        areas = dict(zip(*np.unique(gt, return_counts=True)))
        images.append(
            dict(id=i, file_name=name, height=shape[0], width=shape[1]))
        gt_anns.append(
            dict(
                image_id=i,
                file_name=name,
                segments_info=[
                    dict(
                        id=code[k],
                        category_id=c,
                        iscrowd=int(crowd),
                        area=int(areas[k]))
                    for k, (c, crowd) in segments.items()
                ]))
        pred_anns.append(
            dict(
                image_id=i,
                file_name=name,
                segments_info=[
                    dict(id=code[k], category_id=c)
                    for k, c in pred_segments.items()
                ]))
    with open(paths[0], 'w') as f:
        json.dump(
            dict(images=images, annotations=gt_anns, categories=categories), f)
    with open(paths[2], 'w') as f:
        json.dump(dict(annotations=pred_anns), f)
    return paths


def timed(command) -> tuple:
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f'{command[1]} failed:\n{proc.stderr}')
    return seconds, proc.stdout


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num-images', type=int, default=200)
    parser.add_argument('--shape', type=int, nargs=2, default=(512, 1024))
    parser.add_argument('--nproc', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument(
        '--keep',
        help='write the folders here and keep them (default: a '
        'temporary folder)')
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or tmp
        start = time.perf_counter()
        paths = write_folders(root, args.num_images, tuple(args.shape))
        print(f'{args.num_images} pairs of {args.shape[0]}x{args.shape[1]} '
              f'written in {time.perf_counter() - start:.0f} s; '
              f'{args.rounds} rounds, {args.nproc} processes\n')
        metrics_file = osp.join(tmp, 'metrics.json')
        tools = {
            'panoptic_quality.py (ours)': [
                sys.executable, 'tools/evaluation/panoptic_quality.py',
                *paths, '--nproc',
                str(args.nproc), '--out', metrics_file
            ],
            "panopticapi's method": [
                sys.executable,
                'tools/analysis_tools/panoptic_quality_baseline.py', *paths,
                '--nproc',
                str(args.nproc)
            ],
        }
        times = {name: [] for name in tools}
        outputs = {}
        for _ in range(args.rounds):
            for name, command in tools.items():
                seconds, outputs[name] = timed(command)
                times[name].append(seconds)
        with open(metrics_file) as f:
            ours = json.load(f)
    baseline = json.loads(outputs["panopticapi's method"].splitlines()[-1])
    worst = 0.0
    for group, suffix in (('All', ''), ('Things', '_th'), ('Stuff', '_st')):
        for key in ('pq', 'sq', 'rq'):
            worst = max(
                worst,
                abs(ours[key.upper() + suffix] - 100 * baseline[group][key]))
    if worst > 1e-9:
        raise SystemExit(f'PQ differs: ours {ours}, baseline {baseline}')
    medians = {name: float(np.median(t)) for name, t in times.items()}
    base = medians["panopticapi's method"]
    print(f"PQ {ours['PQ']:.4f}, SQ {ours['SQ']:.4f}, RQ {ours['RQ']:.4f} "
          f'from both (largest difference {worst:.1e})\n')
    print('| tool | seconds (median) | all runs | speed-up |')
    print('|---|---:|---|---:|')
    for name, seconds in medians.items():
        runs = ', '.join(f'{t:.2f}' for t in times[name])
        print(f'| {name} | {seconds:.2f} | {runs} | {base / seconds:.2f}x |')
    memory = re.search(r'peak memory: .*',
                       outputs['panoptic_quality.py (ours)'])
    if memory:
        print(f'\n{memory.group(0)}')


if __name__ == '__main__':
    main()
