"""Time the PQ computation against the per-segment reference, same data.

    python tools/analysis_tools/benchmark_pq.py [--num-images 500]
        [--shape 512 1024] [--nproc 2] [--out FILE.json]

Generates Cityscapes-sized panoptic pairs (stuff bands, thing instances,
crowd, VOID gaps; predictions shifted, dropped, relabelled and with spurious
segments), checks that both implementations give identical counts, and
reports the time of each and their ratio.
"""
import argparse
import json
import os
import os.path as osp
import time

import numpy as np

from mmseg_depict.evaluation import (PQStats, pq_dataset_stats,
                                     reference_pq_image_stats)

NUM_CATEGORIES = 19  # 8 things + 11 stuff, as Cityscapes


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
    for j in range(int(rng.integers(10, 30))):
        seg = 100 + j
        cy, cx = rng.integers(0, h), rng.integers(0, w)
        ry, rx = rng.integers(10, h // 6), rng.integers(10, w // 10)
        gt[((yy - cy) / ry)**2 + ((xx - cx) / rx)**2 < 1] = seg
        segments[seg] = (int(rng.integers(8)), rng.random() < 0.05)
    gt[:, rng.integers(0, w, 3)] = 0  # VOID lines
    segments = {k: v for k, v in segments.items() if (gt == k).any()}
    pred = np.roll(gt, tuple(rng.integers(-8, 9, 2)), axis=(0, 1))
    for seg in rng.choice(list(segments), 3):
        pred[pred == seg] = 0  # missed segments
    pred[rng.integers(0, h // 2):, :rng.integers(1, w // 4)] = 9999
    pred_segments = {
        int(i): (segments[i][0] if i in segments and rng.random() < 0.9 else
                 int(rng.integers(NUM_CATEGORIES)))
        for i in np.unique(pred) if i != 0
    }
    return gt, segments, pred, pred_segments


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num-images', type=int, default=500)
    parser.add_argument('--shape', type=int, nargs=2, default=(512, 1024))
    parser.add_argument('--nproc', type=int, default=2)
    parser.add_argument(
        '--out', default='work_dirs/benchmark_pq/benchmark_pq.json')
    args = parser.parse_args(argv)
    samples = [panoptic_pair(i, tuple(args.shape))
               for i in range(args.num_images)]
    print(f'{len(samples)} panoptic pairs of {args.shape[0]}x{args.shape[1]}, '
          f'{np.mean([len(s[1]) for s in samples]):.1f} ground-truth segments '
          'per image')
    times, results = {}, {}
    runs = {'joint histogram, 1 process': dict(nproc=1)}
    if args.nproc > 1:
        runs[f'joint histogram, {args.nproc} processes'] = dict(
            nproc=args.nproc)
    for name, kwargs in runs.items():
        start = time.perf_counter()
        results[name] = pq_dataset_stats(range(len(samples)),
                                         samples.__getitem__, NUM_CATEGORIES,
                                         **kwargs)
        times[name] = time.perf_counter() - start
    start = time.perf_counter()
    reference = PQStats(NUM_CATEGORIES)
    for sample in samples:
        reference += reference_pq_image_stats(*sample, NUM_CATEGORIES)
    times['per-segment reference'] = time.perf_counter() - start
    for name, stats in results.items():
        for key in ('tp', 'fp', 'fn'):
            if not np.array_equal(getattr(stats, key), getattr(reference, key)):
                raise SystemExit(f'{name}: {key} differs from the reference')
        if not np.allclose(stats.iou, reference.iou):
            raise SystemExit(f'{name}: IoU sums differ from the reference')
    pq = reference.summary([c < 8 for c in range(NUM_CATEGORIES)])['All']['pq']
    print(f'identical counts; PQ = {100 * pq:.2f}\n')
    print('| implementation | seconds | ms / image | speed-up vs reference |')
    print('|---|---|---|---|')
    ref_time = times['per-segment reference']
    for name, seconds in times.items():
        print(f'| {name} | {seconds:.1f} | '
              f'{1000 * seconds / len(samples):.1f} | '
              f'{ref_time / seconds:.1f}x |')
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(dict(num_images=len(samples), shape=list(args.shape),
                       seconds=times, pq=pq), f, indent=1)


if __name__ == '__main__':
    main()
