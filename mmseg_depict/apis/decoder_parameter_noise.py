"""Parameter robustness of a trained decoder, as the DEPICT release plots
it (``assets/noise_tiny.png``: mIoU against the standard deviation σ of
Gaussian noise added to the decoder's parameters, ADE20K).

Every floating-point parameter of the model's ``decode_head`` gets
``σ · ε`` added, ε standard normal drawn once per draw (the same ε for every
σ of that draw, so that a curve moves only with σ), the backbone and neck
untouched; the noise is absolute, as the figure's axis (σ from 1e-3 to 1
against weights initialised with std 0.02) reads. The images go through the
config's own test pipeline and ``test_step`` (``tools/test.py``'s path), and
the backbone's features of each image are computed once and replayed for
every noisy decoder, which is what makes many draws affordable on a CPU.
"""
import contextlib
import tempfile
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.runner import Runner
from mmseg.evaluation import IoUMetric

from .per_image_evaluation import evaluation_config


@contextlib.contextmanager
def replayed_features(model: torch.nn.Module):
    """Within the context, ``model.extract_feat`` computes each call's
    features once and returns the stored ones on later passes.

    Before predicting batch ``i``, call the yielded ``start(i)``: it rewinds
    that batch's call counter (slide inference calls ``extract_feat`` once
    per window, always in the same order). Restores the method on exit.
    """
    original = model.extract_feat
    patched_before = 'extract_feat' in vars(model)
    stored: Dict[int, List] = {}
    position = dict(batch=None, call=0)

    def extract_feat(inputs):
        calls = stored.setdefault(position['batch'], [])
        call = position['call']
        position['call'] += 1
        if call < len(calls):
            return calls[call]
        feats = original(inputs)
        calls.append(feats)
        return feats

    def start(batch: int) -> None:
        position.update(batch=batch, call=0)

    model.extract_feat = extract_feat
    try:
        yield start
    finally:
        if patched_before:
            model.extract_feat = original
        else:
            del model.extract_feat  # the class's method again


def decoder_noise_curve(config: str,
                        checkpoint: str,
                        sigmas: Sequence[float],
                        draws: int = 3,
                        seed: int = 0,
                        split: str = 'val',
                        indices: Optional[Sequence[int]] = None,
                        progress: Callable[[str], None] = print) -> dict:
    """mIoU with noise of each σ on the decoder's parameters.

    Args:
        config (str): A semantic segmentation config (mmseg scope).
        checkpoint (str): Its trained weights.
        sigmas (Sequence[float]): Noise standard deviations (absolute).
        draws (int): Noise draws per σ.
        seed (int): Draw ``d`` uses ``torch.Generator().manual_seed(seed +
            d)``.
        split (str): ``'val'`` or ``'test'`` (the config's dataloader).
        indices (Sequence[int], optional): Only these images of the split.
        progress (callable): Called with a line per σ.

    Returns:
        dict: ``clean`` (mIoU without noise), ``sigmas``, ``mIoU`` (one list
        of ``draws`` values per σ, points), ``parameters`` (how many numbers
        the noise touches).
    """
    if draws < 1:
        raise ValueError(f'draws must be at least 1, got {draws}')
    bad = [s for s in sigmas if not s >= 0]
    if bad:
        raise ValueError(f'sigmas must be >= 0, got {bad}')
    with tempfile.TemporaryDirectory() as work_dir:
        cfg = evaluation_config(
            config, checkpoint, work_dir, split, indices=indices)
        runner = Runner.from_cfg(cfg)
        runner.load_or_resume()
        model = runner.model
        model.eval()
        loader = runner.build_dataloader(cfg.test_dataloader)
        batches = list(loader)
        evaluator = cfg.test_evaluator
        num_classes = len(loader.dataset.metainfo['classes'])
        decoder = model.decode_head
        params = [p for p in decoder.parameters() if p.is_floating_point()]
        originals = [p.detach().clone() for p in params]

        with replayed_features(model) as start, torch.no_grad():

            def score() -> float:
                areas = []
                for i, batch in enumerate(batches):
                    start(i)
                    for sample in model.test_step(batch):
                        areas.append(
                            IoUMetric.intersect_and_union(
                                sample.pred_sem_seg.data.squeeze(),
                                sample.gt_sem_seg.data.squeeze().to(
                                    sample.pred_sem_seg.data), num_classes,
                                evaluator.ignore_index))
                totals = [sum(a[k] for a in areas) for k in range(4)]
                metrics = IoUMetric.total_area_to_metrics(*totals, ['mIoU'])
                return 100 * float(np.nanmean(metrics['IoU']))

            clean = score()
            curve = [[] for _ in sigmas]
            for d in range(draws):
                generator = torch.Generator().manual_seed(seed + d)
                noise = [
                    torch.randn(
                        p.shape, generator=generator,
                        dtype=torch.float64).to(p) for p in params
                ]
                for k, sigma in enumerate(sigmas):
                    for p, original, eps in zip(params, originals, noise):
                        p.copy_(original + sigma * eps)
                    curve[k].append(score())
                progress(f'  draw {d + 1}/{draws}: ' +
                         ', '.join(f'σ={s:g} {v[-1]:.1f}'
                                   for s, v in zip(sigmas, curve)))
            for p, original in zip(params, originals):
                p.copy_(original)
    return dict(
        clean=clean,
        sigmas=list(sigmas),
        mIoU=curve,
        parameters=int(sum(p.numel() for p in params)))
