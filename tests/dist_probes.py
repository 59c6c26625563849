"""Test-only modules for the 2-process runs (imported by the configs that
tests/test_distributed.py writes, through ``custom_imports``): a hook that
saves each rank's weights after training, and metrics that record which
samples reached ``compute_metrics`` after the gather."""
import json
import os
import os.path as osp
import signal
import time

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.registry import METRICS as MMDET_METRICS
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS as MMSEG_METRICS
from mmseg.registry import TRANSFORMS as MMSEG_TRANSFORMS

from mmseg_depict.evaluation import PanopticQualityMetric
from mmseg_depict.fileio import AtomicLocalBackend


@HOOKS.register_module()
class SaveRankWeightsHook(Hook):
    """Every rank writes ``rank{r}.pth`` (its model's state dict)."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir

    def after_train(self, runner) -> None:
        os.makedirs(self.out_dir, exist_ok=True)
        model = getattr(runner.model, 'module', runner.model)
        torch.save({
            k: v.cpu()
            for k, v in model.state_dict().items()
        }, osp.join(self.out_dir, f'rank{get_rank()}.pth'))


class _RecordSamples:
    """Keeps each result's image path next to it; ``compute_metrics`` (rank
    0, after the gather) writes the paths it received."""

    def __init__(self, record_file: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.record_file = record_file

    def process(self, data_batch, data_samples) -> None:
        super().process(data_batch, data_samples)
        start = len(self.results) - len(data_samples)
        for i, sample in enumerate(data_samples):
            self.results[start + i] = (sample['img_path'],
                                       self.results[start + i])

    def compute_metrics(self, results: list) -> dict:
        with open(self.record_file, 'w') as f:
            json.dump([path for path, _ in results], f)
        return super().compute_metrics([r for _, r in results])


@MMSEG_METRICS.register_module()
class RecordingIoUMetric(_RecordSamples, IoUMetric):
    pass


@MMDET_METRICS.register_module()
class RecordingPanopticQualityMetric(_RecordSamples, PanopticQualityMetric):
    pass


@HOOKS.register_module()
class PoisonLossHook(Hook):
    """From iteration ``from_iter`` (1-based, as logged) on, rank ``rank``'s
    first loss term becomes NaN: a broken loss injected through the
    model's own ``loss`` (both runners, with or without DDP)."""

    def __init__(self, from_iter: int, rank: int = 0) -> None:
        self.from_iter = from_iter
        self.rank = rank

    def before_train(self, runner) -> None:
        model = getattr(runner.model, 'module', runner.model)
        upstream = model.loss

        def poisoned(*args, **kwargs):
            losses = upstream(*args, **kwargs)
            if get_rank() == self.rank and runner.iter + 1 >= self.from_iter:
                key = next(k for k in losses if 'loss' in k)
                value = losses[key]
                poison = [v * float('nan') for v in value] if isinstance(
                    value, list) else value * float('nan')
                losses[key] = poison
            return losses

        model.loss = poisoned


@HOOKS.register_module()
class KillWorkerOnceHook(Hook):
    """SIGKILL one worker process once per run (``marker`` records it, so
    the restarted group runs through), as an out-of-memory kill or a lost
    node would end it.

    * ``during='after_checkpoint'``: rank ``rank`` dies after iteration
      ``at_iter``, once rank 0's checkpoint of it is on disk.
    * ``during='save'``: rank 0 dies while writing the checkpoint of
      ``at_iter``: half its bytes in the atomic writer's temporary file.
    """

    priority = 'LOWEST'  # after the checkpoint hook

    def __init__(self,
                 at_iter: int,
                 marker: str,
                 during: str = 'after_checkpoint',
                 rank: int = 1) -> None:
        self.at_iter = at_iter
        self.marker = marker
        self.during = during
        self.rank = rank

    def _die(self) -> None:
        open(self.marker, 'w').close()
        os.kill(os.getpid(), signal.SIGKILL)

    def before_train(self, runner) -> None:
        if self.during != 'save' or get_rank() != 0 or osp.exists(self.marker):
            return
        name = f'iter_{self.at_iter}.pth'
        upstream = AtomicLocalBackend.put

        def put(backend, obj, filepath):
            if osp.basename(str(filepath)) == name:
                part = osp.join(
                    osp.dirname(str(filepath)), f'.{name}.killed.part')
                with open(part, 'wb') as f:
                    f.write(obj[:len(obj) // 2])
                self._die()
            return upstream(backend, obj, filepath)

        AtomicLocalBackend.put = put

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        if self.during != 'after_checkpoint' or get_rank() != self.rank \
                or runner.iter + 1 != self.at_iter or osp.exists(self.marker):
            return
        saved = osp.join(runner.work_dir, f'iter_{self.at_iter}.pth')
        for _ in range(600):  # rank 0 writes it; wait up to a minute
            if osp.exists(saved):
                break
            time.sleep(0.1)
        self._die()


@MMSEG_TRANSFORMS.register_module()
class RankDependentFlip(BaseTransform):
    """Flips the image and its label on a coin from numpy's global
    generator after ``rank + 1`` draws: the ranks' generators drift apart,
    as data-dependent transforms in the main process (``num_workers=0``,
    e.g. ``RandomCrop``'s ``cat_max_ratio`` retries) make them."""

    def transform(self, results: dict) -> dict:
        coin = np.random.rand(get_rank() + 1)[-1]
        if coin < 0.5:
            results['img'] = results['img'][:, ::-1].copy()
            results['gt_seg_map'] = results['gt_seg_map'][:, ::-1].copy()
        return results
