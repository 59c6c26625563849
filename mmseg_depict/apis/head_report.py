"""Compare trained semantic heads on one split: accuracy over seeds, paired
bootstrap intervals, robustness to image corruptions; a report folder
(``report.md``, ``report.json``, ``figures/``) and a per-evaluation cache
that lets an interrupted report resume.
"""
import hashlib
import itertools
import json
import os
import os.path as osp
import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmseg.evaluation import IoUMetric

from mmseg_depict_light.cpu_memory import retain_freed_cpu_memory
from ..datasets.transforms.image_corruption import CORRUPTIONS, ImageCorruption
from ..evaluation.boundary_iou import boundary_iou
from ..evaluation.metrics import per_image_areas
from ..evaluation.paired_bootstrap import paired_bootstrap
from ..tasks import config_dataset_meta
from .decoder_parameter_noise import decoder_noise_curve
from .model_cost import measure_model_cost
from .per_image_evaluation import PerImageEvaluator, config_ignore_index


@dataclass
class TrainedHead:
    """A head's config and its trained checkpoints (one per seed)."""
    name: str
    config: str
    checkpoints: List[str]


# σ of the DEPICT release's parameter-robustness figure, 1e-3 to 1e-1 (at
# 1e-1 every decoder there has collapsed).
NOISE_SIGMAS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1)


def _slug(text: str) -> str:
    return re.sub(r'[^A-Za-z0-9.-]+', '-', text).strip('-').lower()


def _fingerprint(*paths: str) -> str:
    """Changes when one of the files (a config, a checkpoint) changes."""
    parts = []
    for path in paths:
        stat = os.stat(path)
        parts.append(f'{osp.abspath(path)}:{stat.st_size}:{stat.st_mtime}')
    return hashlib.sha1('|'.join(parts).encode()).hexdigest()[:10]


def split_metrics(confusion: np.ndarray, boundary: np.ndarray) -> dict:
    """aAcc, mIoU, mAcc, mBIoU (points) and per-class IoU / BIoU of the
    images given, from their summed areas through mmseg's own
    ``IoUMetric.total_area_to_metrics`` (float64)."""
    total = torch.from_numpy(confusion.sum(0)).double()
    intersect, label, pred = total.diag(), total.sum(1), total.sum(0)
    metrics = IoUMetric.total_area_to_metrics(intersect,
                                              label + pred - intersect, pred,
                                              label, ['mIoU'])
    iou, acc = metrics['IoU'], metrics['Acc']
    bands = boundary_iou(boundary.sum(0))
    return dict(
        aAcc=100 * float(metrics['aAcc']),
        mIoU=100 * float(np.nanmean(iou)),
        mAcc=100 * float(np.nanmean(acc)),
        mBIoU=100 * float(bands['mBIoU']),
        IoU=(100 * iou).tolist(),
        BIoU=(100 * bands['BIoU']).tolist())


def spread_indices(total: int, count: Optional[int]) -> List[int]:
    """``count`` image indices spread evenly over ``total`` (all if None or
    more than there are)."""
    if count is None or count >= total:
        return list(range(total))
    return sorted({int(i) for i in np.linspace(0, total - 1, count)})


def _mean_std(values: Sequence[float]) -> dict:
    values = np.asarray(values, np.float64)
    return dict(
        mean=float(values.mean()),
        std=float(values.std(ddof=1)) if len(values) > 1 else None,
        values=values.tolist())


def build_report(heads: List[TrainedHead],
                 out_dir: str,
                 split: str = 'val',
                 corruptions: Sequence[str] = tuple(CORRUPTIONS),
                 severities: Sequence[int] = (1, 2, 3, 4, 5),
                 robustness_images: Optional[int] = 20,
                 bootstrap_resamples: int = 1000,
                 seed: int = 0,
                 noise_sigmas: Sequence[float] = NOISE_SIGMAS,
                 noise_draws: int = 3,
                 cost_shape: Optional[Sequence[int]] = None,
                 cost_repeats: int = 5,
                 num_workers: Optional[int] = None,
                 fuse_conv_bn: bool = False,
                 retain_freed_memory: bool = False,
                 progress: Callable[[str], None] = print) -> dict:
    """Evaluate every checkpoint (clean, whole split) and every head's first
    checkpoint on corrupted images and with noise on its decoder's
    parameters (``noise_draws`` draws per σ of ``noise_sigmas``; both on
    ``robustness_images`` of the split), then tabulate; results cached
    under ``out_dir/cache``. With ``cost_shape`` (H, W), each head's model
    cost at that input size too (:func:`measure_model_cost`, median of
    ``cost_repeats``; measured before the evaluations). ``num_workers`` and
    ``fuse_conv_bn`` are :class:`PerImageEvaluator`'s (results with folded
    BatchNorms are cached apart from the others); ``retain_freed_memory``
    makes glibc keep freed memory for the evaluations
    (:func:`~mmseg_depict_light.cpu_memory.retain_freed_cpu_memory`: the
    rest of this process, after the cost is measured).

    Returns:
        dict: Everything ``report.json`` holds.
    """
    if len({h.name for h in heads}) != len(heads):
        raise ValueError('head names must differ: '
                         f'{[h.name for h in heads]}')
    for head in heads:
        if not head.checkpoints:
            raise ValueError(f"head '{head.name}' has no checkpoint")
        for path in [head.config, *head.checkpoints]:
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f"head '{head.name}': '{path}' not found")
    cache_dir = osp.join(out_dir, 'cache')
    steps = sum(len(h.checkpoints) for h in heads) + len(heads) * (
        len(corruptions) * len(severities) + bool(noise_sigmas))
    done = 0

    def cache_path(head, checkpoint, condition):
        nonlocal done
        done += 1
        key = f'{_slug(head.name)}-{_fingerprint(head.config, checkpoint)}'
        if fuse_conv_bn:
            key += '-fused-bn'
        path = osp.join(cache_dir, key, condition)
        state = 'cached' if osp.isfile(path) else 'evaluating'
        progress(f'[{done}/{steps}] {head.name} '
                 f'{osp.basename(checkpoint)}: '
                 f'{osp.splitext(condition)[0]} ({state})')
        return path

    # Every head sees the same corrupted images: each is made once.
    corrupted_images: Dict[tuple, np.ndarray] = {}

    def evaluate(evaluator, head, condition, **kwargs):
        cache = cache_path(head, evaluator.checkpoint, f'{condition}.npz')
        with ImageCorruption.memoised(corrupted_images):
            return evaluator.evaluate(cache=cache, **kwargs)

    def noise_curve(evaluator, head):
        grid = hashlib.sha1(repr(
            (list(noise_sigmas), noise_draws)).encode()).hexdigest()[:6]
        path = cache_path(
            head, head.checkpoints[0],
            f'parameter-noise-{len(subset)}images-seed{seed}-{grid}.json')
        if osp.isfile(path):
            with open(path) as f:
                return json.load(f)
        curve = decoder_noise_curve(
            head.config,
            head.checkpoints[0],
            noise_sigmas,
            draws=noise_draws,
            seed=seed,
            split=split,
            indices=subset,
            progress=progress,
            evaluator=evaluator)
        os.makedirs(osp.dirname(path), exist_ok=True)
        _write_json(curve, path)
        return curve

    # The cost first, while the process is as a user's would be.
    cost = {
        head.name:
        _cached_cost(head, cost_shape, cost_repeats, cache_dir, progress)
        for head in (heads if cost_shape else [])
    }
    if retain_freed_memory:
        retain_freed_cpu_memory()
    # Head by head, checkpoint by checkpoint: one model per checkpoint
    # serves its clean run and every robustness condition.
    img_paths: List[str] = []  # the first head's: every head's must match
    subset: List[int] = []
    clean: Dict[str, List[dict]] = {}
    robust: Dict[str, Dict[str, Dict[int, dict]]] = {}
    noise: Dict[str, dict] = {}
    for head in heads:
        clean[head.name] = []
        for k, checkpoint in enumerate(head.checkpoints):
            with PerImageEvaluator(
                    head.config,
                    checkpoint,
                    split,
                    num_workers=num_workers,
                    fuse_conv_bn=fuse_conv_bn) as evaluator:
                run = evaluate(evaluator, head, 'clean', keep_predictions=True)
                if img_paths and run['img_paths'] != img_paths:
                    raise ValueError(
                        f"head '{head.name}' was evaluated on other images "
                        f"than '{heads[0].name}': compare heads on one split")
                img_paths = run['img_paths']
                clean[head.name].append(run)
                subset = subset or spread_indices(
                    len(img_paths), robustness_images)
                if k == 0:  # robustness: the first checkpoint's
                    robust[head.name] = {
                        corruption: {
                            severity:
                            evaluate(
                                evaluator,
                                head,
                                f'{corruption}-{severity}-{len(subset)}images',
                                corruption=dict(
                                    corruption=corruption,
                                    severity=severity,
                                    seed=seed),
                                indices=subset)
                            for severity in severities
                        }
                        for corruption in corruptions
                    }
                    if noise_sigmas:
                        noise[head.name] = noise_curve(evaluator, head)

    accuracy = accuracy_over_seeds(clean)
    pairs = [
        dict(
            a=a,
            b=b,
            **paired_bootstrap(
                *(np.stack([per_image_areas(r['confusion']) for r in clean[h]])
                  for h in (a, b)), bootstrap_resamples, seed))
        for a, b in itertools.combinations(clean, 2)
    ]
    robustness = {
        name: corruption_table(clean[name][0], robust[name], subset)
        for name in robust
    }
    first_cfg = Config.fromfile(heads[0].config)
    meta = config_dataset_meta(first_cfg)
    ignore_index = config_ignore_index(first_cfg, split)
    first_runs = {name: runs[0] for name, runs in clean.items()}
    for head in heads:
        accuracy[head.name]['checkpoints'] = head.checkpoints
    report = dict(
        split=split,
        images=len(img_paths),
        classes=list(meta['classes']),
        robustness_images=len(subset),
        robustness_seed=seed,
        bootstrap_resamples=bootstrap_resamples,
        accuracy=accuracy,
        pairs=pairs,
        robustness=robustness,
        parameter_noise=noise or None,
        cost=dict(shape=list(cost_shape), heads=cost) if cost else None,
        ignore_index=ignore_index,
        gallery=select_gallery(first_runs, ignore_index))
    os.makedirs(out_dir, exist_ok=True)
    _write_json(report, osp.join(out_dir, 'report.json'))
    figures = draw_figures(report, osp.join(out_dir, 'figures'))
    figures.update(
        draw_gallery(report['gallery'], first_runs, meta['palette'],
                     osp.join(out_dir, 'figures'), ignore_index))
    _write_text(
        render_markdown(report, figures), osp.join(out_dir, 'report.md'))
    return report


def accuracy_over_seeds(clean: Dict[str, List[dict]]) -> dict:
    """Per head: mIoU, mAcc, aAcc, mBIoU as mean / std / values over its
    checkpoints, per-class IoU and BIoU (means), the summed confusion."""
    accuracy = {}
    for name, runs in clean.items():
        per_seed = [split_metrics(r['confusion'], r['boundary']) for r in runs]
        row = {
            key: _mean_std([m[key] for m in per_seed])
            for key in ('mIoU', 'mAcc', 'aAcc', 'mBIoU')
        }
        row['IoU'] = np.mean([m['IoU'] for m in per_seed], 0).tolist()
        row['BIoU'] = np.mean([m['BIoU'] for m in per_seed], 0).tolist()
        row['confusion'] = np.sum([r['confusion'].sum(0) for r in runs],
                                  0).tolist()
        accuracy[name] = row
    return accuracy


def corruption_table(clean: dict, corrupted: Dict[str, Dict[int, dict]],
                     subset: List[int]) -> dict:
    """mIoU per corruption and severity, their mean, the clean mIoU of the
    same images and the relative drop (None where clean scores 0)."""
    clean_subset = split_metrics(clean['confusion'][subset],
                                 clean['boundary'][subset])['mIoU']
    table = {
        corruption: {
            str(s): split_metrics(r['confusion'], r['boundary'])['mIoU']
            for s, r in by_severity.items()
        }
        for corruption, by_severity in corrupted.items()
    }
    values = [v for row in table.values() for v in row.values()]
    mean = float(np.mean(values)) if values else None
    drop = None
    if mean is not None and clean_subset > 0:
        drop = 1 - mean / clean_subset
    return dict(
        clean_subset=clean_subset, mIoU=table, mean=mean, relative_drop=drop)


def _cached_cost(head: TrainedHead, shape: Sequence[int], repeats: int,
                 cache_dir: str, progress: Callable[[str], None]) -> dict:
    h, w = shape
    path = osp.join(cache_dir,
                    f'{_slug(head.name)}-{_fingerprint(head.config)}',
                    f'cost-{h}x{w}.json')
    if osp.isfile(path):
        with open(path) as f:
            return json.load(f)
    progress(f'{head.name}: cost at {h}x{w} ({repeats} repeats)')
    cost = measure_model_cost(head.config, (h, w), repeats=repeats)
    os.makedirs(osp.dirname(path), exist_ok=True)
    _write_json(cost, path)
    return cost


def select_gallery(runs: Dict[str, dict],
                   ignore_index: int = 255,
                   count: int = 3) -> List[dict]:
    """The ``count`` images where the heads' predictions differ most (mean
    over pairs of heads of the share of scored pixels, those whose label is
    not ``ignore_index``, predicted differently), then each head's worst
    image (lowest pixel accuracy); each once, with why it was chosen."""
    names = list(runs)
    first = runs[names[0]]
    scores = []
    for i, label in enumerate(first['label']):
        scored = label != ignore_index
        total = max(int(scored.sum()), 1)
        preds = [runs[n]['pred'][i] for n in names]
        pairs = list(itertools.combinations(preds, 2))
        disagree = np.mean([((a != b) & scored).sum() / total
                            for a, b in pairs]) if pairs else 0.0
        accuracy = {
            n: float(((p == label) & scored).sum() / total)
            for n, p in zip(names, preds)
        }
        scores.append((float(disagree), accuracy))
    chosen, order = [], np.argsort([-d for d, _ in scores], kind='stable')
    for i in order[:count if len(names) > 1 else 0]:
        chosen.append(
            dict(
                index=int(i),
                why=f'heads disagree on '
                f'{100 * scores[i][0]:.0f} % of the pixels'))
    for name in names:
        i = int(np.argmin([acc[name] for _, acc in scores]))
        if all(c['index'] != i for c in chosen):
            chosen.append(
                dict(
                    index=i,
                    why=f"{name}'s worst: "
                    f"{100 * scores[i][1][name]:.0f} % of the pixels right"))
    for c in chosen:
        c['img_path'] = first['img_paths'][c['index']]
        c['accuracy'] = scores[c['index']][1]
    return chosen


def draw_gallery(gallery: List[dict],
                 runs: Dict[str, dict],
                 palette: Sequence[Sequence[int]],
                 out_dir: str,
                 ignore_index: int = 255) -> Dict[str, str]:
    """One PNG per chosen image: the photograph, its label, and each head's
    prediction with its wrong pixels in magenta (ignored pixels black)."""
    import cv2
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    os.makedirs(out_dir, exist_ok=True)
    colours = np.zeros((256, 3), np.uint8)
    colours[:len(palette)] = np.asarray(palette, np.uint8)
    names = list(runs)
    figures = {}
    for n, item in enumerate(gallery, 1):
        i = item['index']
        label = runs[names[0]]['label'][i]
        image = cv2.imread(item['img_path'], cv2.IMREAD_COLOR)
        painted_label = colours[label]
        painted_label[label == ignore_index] = 0
        panels = [('image', None if image is None else image[..., ::-1]),
                  ('label', painted_label)]
        for name in names:
            pred = runs[name]['pred'][i]
            painted = colours[pred].copy()
            painted[(pred != label) & (label != ignore_index)] = (255, 0, 255)
            acc = 100 * item['accuracy'][name]
            panels.append((f'{name} ({acc:.0f} %)', painted))
        fig, axes = plt.subplots(
            1, len(panels), figsize=(2.6 * len(panels), 2.4))
        for ax, (title, picture) in zip(np.atleast_1d(axes), panels):
            if picture is not None:
                ax.imshow(picture)
            ax.set_title(title, fontsize=8)
            ax.axis('off')
        fig.suptitle(
            f"{osp.basename(item['img_path'])}: {item['why']}", fontsize=9)
        figures[f"{osp.basename(item['img_path'])}: {item['why']}"] = _save(
            fig, out_dir, f'gallery_{n:02d}.png')
    return figures


def _fmt(stat: dict) -> str:
    """mean ± std (std only with several seeds)."""
    if stat['std'] is None:
        return f"{stat['mean']:.2f}"
    return f"{stat['mean']:.2f} ± {stat['std']:.2f}"


def render_markdown(report: dict, figures: Dict[str, str]) -> str:
    """The report's tables (and figure links) as Markdown."""
    acc, classes = report['accuracy'], report['classes']
    lines = [
        '# Head comparison', '',
        f"Split: {report['split']} ({report['images']} images). mIoU, mAcc, "
        'aAcc and boundary IoU (mBIoU: IoU within 2 % of the image diagonal '
        'of each contour) in points, mean ± std over the seeds '
        '(checkpoints) of each head.', '',
        '| head | seeds | mIoU | mAcc | aAcc | mBIoU |',
        '|---|---|---|---|---|---|'
    ]
    for name, row in acc.items():
        lines.append(f"| {name} | {len(row['checkpoints'])} | "
                     f"{_fmt(row['mIoU'])} | {_fmt(row['mAcc'])} | "
                     f"{_fmt(row['aAcc'])} | {_fmt(row['mBIoU'])} |")
    lines += [
        '', '## Per-class IoU', '', '| head | ' + ' | '.join(classes) + ' |',
        '|---|' + '---|' * len(classes)
    ]
    for name, row in acc.items():
        lines.append(f'| {name} | ' + ' | '.join(f'{v:.1f}'
                                                 for v in row['IoU']) + ' |')
    level = 95
    lines += [
        '', '## Differences between heads', '',
        f"mIoU(a) - mIoU(b) on the whole split and its {level} % interval "
        f"from a paired bootstrap over images ({report['bootstrap_resamples']}"
        ' resamples; a head with several seeds counts as the mean of its '
        'seeds on each resample). *yes*: the interval excludes 0.', '',
        '| a | b | a - b | interval | excludes 0 |', '|---|---|---|---|---|'
    ]
    for p in report['pairs']:
        lines.append(f"| {p['a']} | {p['b']} | {p['diff']:+.2f} | "
                     f"[{p['low']:+.2f}, {p['high']:+.2f}] | "
                     f"{'yes' if p['excludes_zero'] else 'no'} |")
    robust = report['robustness']
    if any(r['mean'] is not None for r in robust.values()):
        first = next(iter(robust.values()))['mIoU']
        names = list(first)
        severities = sorted({int(s) for row in first.values() for s in row})
        lines += [
            '', '## Image corruptions', '',
            f"mIoU on {report['robustness_images']} images of the split "
            '(spread evenly), first checkpoint of each head, mean over '
            f"severities {', '.join(map(str, severities))} per corruption; "
            '*drop*: 1 - mean / clean on the same images.', '',
            '| head | clean | ' + ' | '.join(names) + ' | mean | drop |',
            '|---|---|' + '---|' * len(names) + '---|---|'
        ]
        for name, r in robust.items():
            cells = [
                f'{np.mean(list(r["mIoU"][c].values())):.1f}' for c in names
            ]
            drop = '–' if r['relative_drop'] is None else \
                f"{100 * r['relative_drop']:.1f} %"
            lines.append(f"| {name} | {r['clean_subset']:.1f} | " +
                         ' | '.join(cells) + f" | {r['mean']:.1f} | {drop} |")
    noise = report.get('parameter_noise')
    if noise:
        first = next(iter(noise.values()))
        draws = len(first['mIoU'][0])
        lines += [
            '', '## Decoder-parameter noise', '',
            f"mIoU on the same {report['robustness_images']} images with "
            'Gaussian noise of standard deviation σ added to every parameter '
            'of the decode head (first checkpoint of each head; mean ± std '
            f'over {draws} draws, each draw one noise direction scaled by '
            'every σ).', '', '| head | decoder parameters | clean | ' +
            ' | '.join(f"σ = {s:g}" for s in first['sigmas']) + ' |',
            '|---|---|---|' + '---|' * len(first['sigmas'])
        ]
        for name, curve in noise.items():
            cells = [
                _fmt(_mean_std(values))
                if len(values) > 1 else f'{values[0]:.2f}'
                for values in curve['mIoU']
            ]
            lines.append(f"| {name} | {curve['parameters'] / 1e6:.2f} M | "
                         f"{curve['clean']:.2f} | " + ' | '.join(cells) + ' |')
    if report.get('cost'):
        h, w = report['cost']['shape']
        lines += [
            '', '## Cost', '',
            f'At a {h}x{w} input, measured in this run on this machine: '
            'parameters and FLOPs (whole model; decode head in brackets), '
            'inference latency (batch 1, median) and a training step (batch '
            '1, forward + backward) with its peak memory (CUDA: allocated; '
            'CPU: resident memory that building the model and one step add to '
            'a fresh process).', '',
            '| head | params M | GFLOPs | latency ms | train step ms | '
            'train peak MiB |', '|---|---|---|---|---|---|'
        ]
        for name, c in report['cost']['heads'].items():
            peak = c.get('train_peak_mib')
            lines.append(f"| {name} | {c['params_m']:.2f} "
                         f"({c['head_params_m']:.2f}) | {c['gflops']:.1f} "
                         f"({c['head_gflops']:.2f}) | {c['latency_ms']:.0f} "
                         f"| {c['train_step_ms']:.0f} | " +
                         ('–' if peak is None else f'{peak:.0f}') + ' |')
    if figures:
        lines += [
            '', '## Figures', '',
            "Gallery: photograph, label and each head's prediction (first "
            'checkpoint) with its wrong pixels in magenta; the share of '
            'pixels right in brackets.', ''
        ]
        lines += [f'![{title}]({path})' for title, path in figures.items()]
    return '\n'.join(lines) + '\n'


def draw_figures(report: dict, out_dir: str) -> Dict[str, str]:
    """Per-class IoU bars, robustness curves and a confusion matrix per
    head, as PNGs; returns title -> path relative to the report."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    os.makedirs(out_dir, exist_ok=True)
    figures = {}
    acc, classes = report['accuracy'], report['classes']
    names = list(acc)

    fig, ax = plt.subplots(figsize=(max(6, 0.8 * len(classes)), 3.5))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        ax.bar(
            np.arange(len(classes)) + i * width,
            np.nan_to_num(acc[name]['IoU']),
            width,
            label=name)
    ax.set_xticks(np.arange(len(classes)) + 0.4 - width / 2)
    ax.set_xticklabels(classes, rotation=45, ha='right')
    ax.set_ylabel('IoU')
    ax.legend(fontsize='small', ncol=2)
    figures['Per-class IoU'] = _save(fig, out_dir, 'per_class_iou.png')

    if report.get('cost'):
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
        for ax, key, label in ((axes[0], 'latency_ms', 'latency (ms)'),
                               (axes[1], 'gflops', 'GFLOPs')):
            for name in names:
                miou = acc[name]['mIoU']
                ax.errorbar(
                    report['cost']['heads'][name][key],
                    miou['mean'],
                    yerr=miou['std'] or 0,
                    fmt='o',
                    capsize=3,
                    label=name)
            ax.set_xlabel(label)
            ax.set_ylabel('mIoU (± std over seeds)')
        axes[0].legend(fontsize='small')
        figures['Accuracy against cost'] = _save(fig, out_dir, 'pareto.png')

    robust = report['robustness']
    if any(r['mean'] is not None for r in robust.values()):
        fig, ax = plt.subplots(figsize=(5, 3.5))
        for name, r in robust.items():
            severities = sorted(
                {int(s)
                 for row in r['mIoU'].values()
                 for s in row})
            curve = [r['clean_subset']] + [
                np.mean([row[str(s)] for row in r['mIoU'].values()])
                for s in severities
            ]
            ax.plot([0] + severities, curve, marker='o', label=name)
        ax.set_xlabel('severity (0: clean)')
        ax.set_ylabel('mIoU, mean over corruptions')
        ax.legend(fontsize='small')
        figures['Robustness to image corruptions'] = _save(
            fig, out_dir, 'corruptions.png')

    if report.get('parameter_noise'):
        fig, ax = plt.subplots(figsize=(5, 3.5))
        for name, curve in report['parameter_noise'].items():
            values = np.asarray(curve['mIoU'], np.float64)
            ax.errorbar(
                curve['sigmas'],
                values.mean(1),
                yerr=values.std(1, ddof=1) if values.shape[1] > 1 else None,
                marker='o',
                capsize=3,
                label=name)
        sigmas = [
            s for c in report['parameter_noise'].values() for s in c['sigmas']
        ]
        if min(sigmas) > 0:
            ax.set_xscale('log')
        else:  # σ = 0 (no noise) on a log axis
            ax.set_xscale(
                'symlog',
                linthresh=min([s for s in sigmas if s > 0], default=1))
        ax.set_xlabel('σ of the noise on the decoder\'s parameters')
        ax.set_ylabel('mIoU (± std over draws)')
        ax.legend(fontsize='small')
        figures['Robustness to decoder-parameter noise'] = _save(
            fig, out_dir, 'parameter_noise.png')

    for name in names:
        confusion = np.asarray(acc[name]['confusion'], np.float64)
        with np.errstate(invalid='ignore'):
            rows = confusion / confusion.sum(1, keepdims=True)
        fig, ax = plt.subplots(figsize=(4 + 0.3 * len(classes), ) * 2)
        ax.imshow(np.nan_to_num(rows), cmap='viridis', vmin=0, vmax=1)
        ax.set_xticks(range(len(classes)))
        ax.set_xticklabels(classes, rotation=90)
        ax.set_yticks(range(len(classes)))
        ax.set_yticklabels(classes)
        ax.set_xlabel('prediction')
        ax.set_ylabel('label')
        ax.set_title(f'{name}: confusion (rows sum to 1)')
        figures[f'{name}: confusion matrix'] = _save(
            fig, out_dir, f'confusion_{_slug(name)}.png')
    return figures


def _save(fig, out_dir: str, name: str) -> str:
    fig.tight_layout()
    fig.savefig(osp.join(out_dir, name), dpi=100)
    import matplotlib.pyplot as plt
    plt.close(fig)
    return f'figures/{name}'


def _write_text(text: str, path: str) -> None:
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def _write_json(data: dict, path: str) -> None:
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)
