"""Tabulate training runs from their work dirs: last logged iteration,
median seconds per iteration and peak GPU memory after the first logged
interval (and that interval's peak on its own), first and last logged
loss, what ``tools/test.py`` measured (``WORK_DIR/test``), the share of
the step spent waiting for data (``data_time / time``), the training's wall
time (first to last line of its log) and, when the run was started under
``/usr/bin/time -v -o WORK_DIR/train_time.txt``, its peak resident memory
(the CPU's peak memory; mmengine logs GPU memory only). ``--per-class``
adds a table of the per-class IoU ``tools/test.py`` logged. Exits with an
error when a logged loss is not finite.

    python tools/misc/summarize_training_runs.py WORK_DIR [WORK_DIR ...]
        [--per-class]
"""
import argparse
import datetime
import glob
import json
import math
import os.path as osp
import re
import statistics

#: Test metrics shown, in this order, when a run recorded them.
METRICS = ('mIoU', 'pq/PQ', 'pq/SQ', 'pq/RQ')


def read_records(pattern: str) -> list:
    """JSON lines of the newest file matching ``pattern`` (one per run
    timestamp; the newest is the last run in that work dir)."""
    paths = sorted(glob.glob(pattern))
    if not paths:
        return []
    with open(paths[-1]) as f:
        return [json.loads(line) for line in f if line.strip()]


_LOG_TIME = re.compile(r'^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) ')
_NUMBER = r'\s*([\d.]+|nan)\s*'
_CLASS_ROW = re.compile(rf'^\|\s*(.+?)\s*\|{_NUMBER}\|{_NUMBER}\|$')


def newest(pattern: str):
    paths = sorted(glob.glob(pattern))
    return paths[-1] if paths else None


def log_wall_seconds(log_path: str):
    """Seconds from the first to the last time-stamped line of a log."""
    stamps = []
    with open(log_path) as f:
        for line in f:
            match = _LOG_TIME.match(line)
            if match:
                stamps.append(match.group(1))
    if len(stamps) < 2:
        return None
    first, last = (
        datetime.datetime.strptime(s, '%Y/%m/%d %H:%M:%S')
        for s in (stamps[0], stamps[-1]))
    return (last - first).total_seconds()


def peak_rss_mb(time_file: str):
    """``Maximum resident set size`` of a ``/usr/bin/time -v`` report."""
    if not osp.isfile(time_file):
        return None
    with open(time_file) as f:
        for line in f:
            if 'Maximum resident set size' in line:
                return int(line.rsplit(':', 1)[1]) / 1024
    return None


def per_class_iou(log_path: str) -> dict:
    """class -> IoU from the per-class table mmseg's IoUMetric logs."""
    rows = {}
    with open(log_path) as f:
        for line in f:
            match = _CLASS_ROW.match(line.strip())
            if match and match.group(1) != 'Class':
                rows[match.group(1)] = float(match.group(2))
    return rows


def summarize(work_dir: str) -> dict:
    records = read_records(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    train = [r for r in records if 'loss' in r and 'time' in r]
    if not train:
        raise SystemExit(f'{work_dir}: no training log (expected '
                         f'{work_dir}/<timestamp>/vis_data/scalars.json '
                         'with loss and time)')
    tested = read_records(osp.join(work_dir, 'test', '*', '*.json'))
    metrics = tested[-1] if tested else {}
    # The first logged interval holds the start-up (CUDA context, cuDNN's
    # algorithm search with cudnn_benchmark): the steady iteration time and
    # memory come from the rest.
    steady = train[1:] or train
    log = newest(osp.join(work_dir, '*', '*.log'))
    test_log = newest(osp.join(work_dir, 'test', '*', '*.log'))
    return dict(
        data_share=statistics.median(r.get('data_time', 0) for r in steady) /
        statistics.median(r['time'] for r in steady),
        wall_s=log_wall_seconds(log) if log else None,
        peak_rss_mb=peak_rss_mb(osp.join(work_dir, 'train_time.txt')),
        per_class=per_class_iou(test_log) if test_log else {},
        run=osp.basename(osp.normpath(work_dir)),
        iters=train[-1].get('iter', train[-1].get('step')),
        sec_per_iter=statistics.median(r['time'] for r in steady),
        memory_mb=max(r.get('memory', 0) for r in steady),
        first_memory_mb=train[0].get('memory', 0),
        first_loss=train[0]['loss'],
        last_loss=train[-1]['loss'],
        finite=all(math.isfinite(r['loss']) for r in train),
        metrics={k: metrics[k]
                 for k in METRICS if k in metrics})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dirs', nargs='+')
    parser.add_argument(
        '--per-class',
        action='store_true',
        help='also tabulate the per-class IoU of tools/test.py')
    args = parser.parse_args(argv)
    rows = [summarize(d) for d in args.work_dirs]
    print('| run | last logged iteration | s / iter | '
          'peak memory MB (first interval) | loss first -> last | '
          'tools/test.py | data_time / time | wall min | peak RSS MB |')
    print('|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        metrics = ', '.join(f'{k.split("/")[-1]} {v:.2f}'
                            for k, v in r['metrics'].items()) or '-'
        wall = f"{r['wall_s'] / 60:.1f}" if r['wall_s'] else '-'
        rss = f"{r['peak_rss_mb']:.0f}" if r['peak_rss_mb'] else '-'
        print(f"| {r['run']} | {r['iters']} | {r['sec_per_iter']:.3f} | "
              f"{r['memory_mb']:.0f} ({r['first_memory_mb']:.0f}) | "
              f"{r['first_loss']:.3f} -> {r['last_loss']:.3f} | {metrics} | "
              f"{100 * r['data_share']:.1f} % | {wall} | {rss} |")
    if args.per_class and any(r['per_class'] for r in rows):
        classes = list(dict.fromkeys(c for r in rows for c in r['per_class']))
        print('\n| run | ' + ' | '.join(classes) + ' |')
        print('|---|' + '---|' * len(classes))
        for r in rows:
            cells = [
                f"{r['per_class'][c]:.1f}" if c in r['per_class'] else '-'
                for c in classes
            ]
            print(f"| {r['run']} | " + ' | '.join(cells) + ' |')
    broken = [r['run'] for r in rows if not r['finite']]
    if broken:
        raise SystemExit(f'non-finite loss logged in: {", ".join(broken)}')


if __name__ == '__main__':
    main()
