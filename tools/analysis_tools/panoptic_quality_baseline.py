"""PQ by panopticapi's method, for benchmark_pq.py to time against.

    python tools/analysis_tools/panoptic_quality_baseline.py \
        GT_JSON GT_FOLDER PRED_JSON PRED_FOLDER [--nproc 2]

What panopticapi's ``pq_compute`` does, written here from its published
algorithm (panopticapi is not on the package index): the image pairs are
split into ``--nproc`` equal chunks, one worker process each; per pair both
PNGs are read with PIL into uint32 arrays and turned into ids
(``R + 256 G + 256^2 B``), the predicted segment areas come from one
``np.unique`` of the prediction, and the intersections from one
``np.unique`` of ``gt_id * 2^24 + pred_id`` in uint64; matching, false
negatives and false positives are dictionary look-ups per segment pair.
Ground-truth areas are the JSON's ``area`` fields. Prints PQ / SQ / RQ for
all, things and stuff as one JSON line. Imports numpy and PIL only.
"""
import argparse
import json
import os.path as osp
from collections import defaultdict
from multiprocessing import Pool

import numpy as np
from PIL import Image

SHIFT = 1 << 24


def read_ids(path):
    rgb = np.array(Image.open(path), dtype=np.uint32)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


def count_chunk(args):
    pairs, gt_folder, pred_folder = args
    tp, fp, fn = defaultdict(int), defaultdict(int), defaultdict(int)
    iou_sum = defaultdict(float)
    for gt_ann, pred_ann in pairs:
        gt = read_ids(osp.join(gt_folder, gt_ann['file_name']))
        pred = read_ids(osp.join(pred_folder, pred_ann['file_name']))
        gt_segs = {s['id']: s for s in gt_ann['segments_info']}
        pred_segs = {s['id']: dict(s) for s in pred_ann['segments_info']}
        for seg_id, area in zip(*np.unique(pred, return_counts=True)):
            if seg_id != 0:
                pred_segs[int(seg_id)]['area'] = int(area)
        codes, counts = np.unique(
            gt.astype(np.uint64) * SHIFT + pred.astype(np.uint64),
            return_counts=True)
        inter = {
            (int(c // SHIFT), int(c % SHIFT)): int(n)
            for c, n in zip(codes, counts)
        }
        gt_hit, pred_hit = set(), set()
        for (g, p), n in inter.items():
            if g not in gt_segs or p not in pred_segs:
                continue
            gs, ps = gt_segs[g], pred_segs[p]
            if gs['iscrowd'] or gs['category_id'] != ps['category_id']:
                continue
            union = ps['area'] + gs['area'] - n - inter.get((0, p), 0)
            if n / union > 0.5:
                tp[gs['category_id']] += 1
                iou_sum[gs['category_id']] += n / union
                gt_hit.add(g)
                pred_hit.add(p)
        crowd_of = {}
        for g, gs in gt_segs.items():
            if gs['iscrowd']:
                crowd_of[gs['category_id']] = g
            elif g not in gt_hit:
                fn[gs['category_id']] += 1
        for p, ps in pred_segs.items():
            if p in pred_hit:
                continue
            ignored = inter.get((0, p), 0)
            if ps['category_id'] in crowd_of:
                ignored += inter.get((crowd_of[ps['category_id']], p), 0)
            if ignored / ps['area'] <= 0.5:
                fp[ps['category_id']] += 1
    return tp, fp, fn, iou_sum


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ('gt_json', 'gt_folder', 'pred_json', 'pred_folder'):
        parser.add_argument(name)
    parser.add_argument('--nproc', type=int, default=2)
    args = parser.parse_args(argv)
    with open(args.gt_json) as f:
        gt = json.load(f)
    with open(args.pred_json) as f:
        preds = {a['image_id']: a for a in json.load(f)['annotations']}
    pairs = [(a, preds[a['image_id']]) for a in gt['annotations']]
    chunks = [
        list(c) for c in np.array_split(np.arange(len(pairs)), args.nproc)
    ]
    tasks = [([pairs[i] for i in c], args.gt_folder, args.pred_folder)
             for c in chunks]
    with Pool(args.nproc) as pool:
        parts = pool.map(count_chunk, tasks)
    totals = [defaultdict(float) for _ in range(4)]
    for part in parts:
        for total, counts in zip(totals, part):
            for cat, value in counts.items():
                total[cat] += value
    tp, fp, fn, iou_sum = totals
    result = {}
    for group, want in (('All', None), ('Things', 1), ('Stuff', 0)):
        pq = sq = rq = n = 0
        for cat in gt['categories']:
            c = cat['id']
            if want is not None and cat.get('isthing', 0) != want:
                continue
            if tp[c] + fp[c] + fn[c] == 0:
                continue
            n += 1
            denominator = tp[c] + 0.5 * fp[c] + 0.5 * fn[c]
            pq += iou_sum[c] / denominator
            sq += iou_sum[c] / tp[c] if tp[c] else 0
            rq += tp[c] / denominator
        result[group] = dict(
            pq=pq / max(n, 1), sq=sq / max(n, 1), rq=rq / max(n, 1), n=n)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
