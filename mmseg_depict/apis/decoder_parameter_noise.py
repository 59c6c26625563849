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
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmseg.evaluation import IoUMetric

from .per_image_evaluation import PerImageEvaluator, config_ignore_index


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
                        progress: Callable[[str], None] = print,
                        evaluator: Optional[PerImageEvaluator] = None) -> dict:
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
        progress (callable): Called with a line per draw.
        evaluator (PerImageEvaluator, optional): The model of ``config``
            and ``checkpoint`` already loaded (a report's); its decoder is
            restored before returning.

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
    with contextlib.ExitStack() as stack:
        if evaluator is None:
            evaluator = stack.enter_context(
                PerImageEvaluator(config, checkpoint, split))
        model = evaluator.runner.model
        model.eval()
        loader = evaluator.dataloader(indices)
        batches = list(loader)
        ignore_index = config_ignore_index(evaluator.runner.cfg, split)
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
                                ignore_index))
                totals = [sum(a[k] for a in areas) for k in range(4)]
                metrics = IoUMetric.total_area_to_metrics(*totals, ['mIoU'])
                return 100 * float(np.nanmean(metrics['IoU']))

            try:
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
            finally:  # the evaluator's model is someone else's
                for p, original in zip(params, originals):
                    p.copy_(original)
    return dict(
        clean=clean,
        sigmas=list(sigmas),
        mIoU=curve,
        parameters=int(sum(p.numel() for p in params)))
