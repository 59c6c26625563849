"""Tabulate training runs from their work dirs: last logged iteration,
median seconds per iteration and peak GPU memory after the first logged
interval (and that interval's peak on its own), first and last logged
loss, and what ``tools/test.py`` measured (``WORK_DIR/test``). Exits with an
error when a logged loss is not finite.

    python tools/misc/summarize_training_runs.py WORK_DIR [WORK_DIR ...]
"""
import argparse
import glob
import json
import math
import os.path as osp
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
    return dict(
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
    args = parser.parse_args(argv)
    rows = [summarize(d) for d in args.work_dirs]
    print('| run | last logged iteration | s / iter | '
          'peak memory MB (first interval) | loss first -> last | '
          'tools/test.py |')
    print('|---|---|---|---|---|---|')
    for r in rows:
        metrics = ', '.join(f'{k.split("/")[-1]} {v:.2f}'
                            for k, v in r['metrics'].items()) or '-'
        print(f"| {r['run']} | {r['iters']} | {r['sec_per_iter']:.3f} | "
              f"{r['memory_mb']:.0f} ({r['first_memory_mb']:.0f}) | "
              f"{r['first_loss']:.3f} -> {r['last_loss']:.3f} | {metrics} |")
    broken = [r['run'] for r in rows if not r['finite']]
    if broken:
        raise SystemExit(f'non-finite loss logged in: {", ".join(broken)}')


if __name__ == '__main__':
    main()
