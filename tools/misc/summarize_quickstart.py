"""Print the quick-start result: mIoU after training, the mIoU that
``tools/test.py`` reproduced from the checkpoint, and what a constant
prediction of the most frequent class would score on the same split."""
import argparse
import glob
import json
import os.path as osp

import cv2
import numpy as np


def last_metrics(pattern: str) -> dict:
    """The last JSON line holding an mIoU among the files matching."""
    found = {}
    for path in sorted(glob.glob(pattern)):
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if 'mIoU' in record:
                    found = record
    if not found:
        raise FileNotFoundError(f'no mIoU recorded in {pattern}')
    return found


def majority_class_miou(label_dir: str, ignore_value: int = 0) -> float:
    """mIoU (in %) of predicting the most frequent class everywhere.

    Only that class gets a non-zero IoU (its pixel share); the mean runs over
    the classes present, as in mmseg's IoUMetric.
    """
    counts = np.zeros(256, np.int64)
    for path in glob.glob(osp.join(label_dir, '*.png')):
        counts += np.bincount(cv2.imread(path, 0).ravel(), minlength=256)
    counts[ignore_value] = 0
    present = np.count_nonzero(counts)
    return 100.0 * counts.max() / counts.sum() / present


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('work_dir')
    parser.add_argument(
        '--label-dir',
        default='data/synthetic/ade/ADEChallengeData2016/annotations/'
        'validation')
    args = parser.parse_args()
    trained = last_metrics(
        osp.join(args.work_dir, '*', 'vis_data', 'scalars.json'))
    tested = last_metrics(osp.join(args.work_dir, 'test', '*', '*.json'))
    baseline = majority_class_miou(args.label_dir)
    print('\n[quickstart] DEPICT-SA ViT-T, synthetic ADE20K-layout val split')
    print(f"  mIoU after training (iter {trained.get('step', '?')}): "
          f"{trained['mIoU']:.2f}")
    print(f"  mIoU from tools/test.py on the checkpoint: {tested['mIoU']:.2f}"
          f"  (aAcc {tested['aAcc']:.2f}, mAcc {tested['mAcc']:.2f})")
    print(f'  most-frequent-class baseline mIoU: {baseline:.2f}')
    if abs(trained['mIoU'] - tested['mIoU']) > 0.01:
        raise SystemExit('[quickstart] test mIoU differs from training mIoU')


if __name__ == '__main__':
    main()
