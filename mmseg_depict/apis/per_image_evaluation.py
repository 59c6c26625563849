"""A trained semantic model evaluated image by image, as ``tools/test.py``
evaluates it: the config's own test pipeline, model and checkpoint through
mmengine's Runner, scored by :class:`PerImageIoUMetric` (``IoUMetric``'s
numbers plus each image's confusion matrix, boundary areas and, on request,
its prediction). Optionally on a subset of the images, or on images
corrupted by :class:`ImageCorruption` right after loading; one model serves
many such conditions (:class:`PerImageEvaluator`). Results can be cached in
a folder and are then read back instead of recomputed.
"""
import copy
import json
import os
import os.path as osp
import tempfile
from typing import Optional, Sequence

import numpy as np
from mmcv.cnn import fuse_conv_bn as fold_conv_bn
from mmengine.config import Config
from mmengine.runner import Runner, TestLoop

from ..tasks import task_of

SPLITS = ('val', 'test')


def evaluation_config(config: str,
                      checkpoint: str,
                      work_dir: str,
                      split: str = 'test',
                      corruption: Optional[dict] = None,
                      indices: Optional[Sequence[int]] = None,
                      keep_predictions: bool = False,
                      num_workers: Optional[int] = None) -> Config:
    """The config's test run with the per-image metric.

    Args:
        config (str): A semantic segmentation config (mmseg scope).
        checkpoint (str): Its trained weights.
        work_dir (str): Where the Runner writes its logs.
        split (str): ``'test'`` (the config's test dataloader) or ``'val'``.
        corruption (dict, optional): ``ImageCorruption`` arguments
            (``corruption``, ``severity``, ``seed``), applied right after
            ``LoadImageFromFile``.
        indices (Sequence[int], optional): Only these images of the split.
        keep_predictions (bool): Keep each image's prediction.
        num_workers (int, optional): Data loader workers instead of the
            config's (0: load in the evaluating process).

    Returns:
        Config: Ready for ``Runner.from_cfg(cfg).test()``.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got '{split}'")
    cfg = Config.fromfile(config)
    task = task_of(cfg)
    if task.panoptic:
        raise ValueError(f"'{config}' is a {task.name} ({task.scope}) "
                         'config; per-image evaluation takes semantic '
                         '(mmseg) configs')
    cfg.work_dir = work_dir
    cfg.experiment_name = work_dir  # one logger / scope per evaluation
    cfg.load_from = checkpoint
    cfg.resume = False
    loader = copy.deepcopy(cfg[f'{split}_dataloader'])
    if corruption is not None:
        pipeline = loader.dataset.pipeline
        loads = [
            i for i, t in enumerate(pipeline)
            if t['type'] == 'LoadImageFromFile'
        ]
        if not loads:
            raise ValueError(f"'{config}': the {split} pipeline has no "
                             'LoadImageFromFile to corrupt after')
        pipeline.insert(loads[0] + 1,
                        dict(type='ImageCorruption', **corruption))
    if indices is not None:
        loader.dataset.indices = list(indices)
    if num_workers is not None:
        loader.num_workers = num_workers
        loader.persistent_workers = num_workers > 0
    cfg.test_dataloader = loader
    cfg.test_evaluator = dict(
        type='PerImageIoUMetric',
        ignore_index=config_ignore_index(cfg, split),
        keep_predictions=keep_predictions)
    if cfg.get('visualizer'):  # a singleton per name: one per evaluation
        cfg.visualizer.name = f'visualizer:{work_dir}'
    if cfg.get('default_hooks'):
        cfg.default_hooks.pop('visualization', None)
    return cfg


def config_ignore_index(cfg: Config, split: str) -> int:
    """The label value the split's evaluator ignores (mmseg's 255 unless the
    config says otherwise)."""
    evaluator = cfg[f'{split}_evaluator']
    return (evaluator[0] if isinstance(evaluator, list) else evaluator).get(
        'ignore_index', 255)


class PerImageEvaluator:
    """One trained model evaluated under several conditions (clean, a
    subset, each corruption and severity) with one Runner: the model is
    built and its checkpoint loaded once, on the first evaluation that is
    not read from a cache, and each condition runs mmengine's
    ``TestLoop`` on its own dataloader and metric. A report evaluates a
    checkpoint under tens of conditions; building a Runner for each cost
    more than its 20 images did.

    Use as a context manager (or call :meth:`close`): the Runner's work
    directory is a temporary one.

    Args:
        config (str): A semantic segmentation config (mmseg scope).
        checkpoint (str): Its trained weights.
        split (str): ``'test'`` (the config's test dataloader) or ``'val'``.
        num_workers (int, optional): Data loader workers instead of the
            config's. On a CPU, loader workers and the model's threads
            share the cores; 0 keeps them from preempting each other.
        fuse_conv_bn (bool): Fold the backbone's eval-mode BatchNorms into
            the preceding convolutions (mmcv's ``fuse_conv_bn``, as
            mmdet 2.x's ``test.py --fuse-conv-bn``): the same function up to
            float rounding, fewer passes over the feature maps. The decode
            head is left as trained (decoder-parameter noise perturbs its
            own parameters).
    """

    def __init__(self,
                 config: str,
                 checkpoint: str,
                 split: str = 'test',
                 num_workers: Optional[int] = None,
                 fuse_conv_bn: bool = False):
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got '{split}'")
        self.config = config
        self.checkpoint = checkpoint
        self.split = split
        self.num_workers = num_workers
        self.fuse_conv_bn = fuse_conv_bn
        self._work_dir = tempfile.TemporaryDirectory()
        self._runner: Optional[Runner] = None

    def __enter__(self) -> 'PerImageEvaluator':
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Drop the Runner and remove its work directory."""
        self._runner = None
        self._work_dir.cleanup()

    def _condition(self, **kwargs) -> Config:
        return evaluation_config(
            self.config,
            self.checkpoint,
            self._work_dir.name,
            self.split,
            num_workers=self.num_workers,
            **kwargs)

    @property
    def runner(self) -> Runner:
        """The Runner holding the trained model (built on first use)."""
        if self._runner is None:
            runner = Runner.from_cfg(self._condition())
            runner.call_hook('before_run')
            runner.load_or_resume()
            if self.fuse_conv_bn:
                fold_conv_bn(runner.model.backbone)
            self._runner = runner
        return self._runner

    def dataloader(self, indices: Optional[Sequence[int]] = None):
        """The split's test dataloader (the config's pipeline), optionally
        of ``indices`` only."""
        return self.runner.build_dataloader(
            self._condition(indices=indices).test_dataloader)

    def evaluate(self,
                 corruption: Optional[dict] = None,
                 indices: Optional[Sequence[int]] = None,
                 keep_predictions: bool = False,
                 cache: Optional[str] = None) -> dict:
        """Evaluate under one condition, or read the result back from
        ``cache`` (an ``.npz`` path).

        Args:
            corruption (dict, optional): ``ImageCorruption`` arguments
                (``corruption``, ``severity``, ``seed``).
            indices (Sequence[int], optional): Only these images.
            keep_predictions (bool): Keep each image's prediction.
            cache (str, optional): Where the result is stored.

        Returns:
            dict: ``metrics`` (the metric's dict: aAcc, mIoU, mAcc, mBIoU in
            points), ``img_paths`` (N,), ``confusion`` (N, K, K) int64,
            ``boundary`` (N, 2, K) int64 and, if kept, ``pred`` and
            ``label`` (lists of N (H, W) uint8 arrays).
        """
        if cache and osp.isfile(cache):
            return load_result(cache)
        cfg = self._condition(
            corruption=corruption,
            indices=indices,
            keep_predictions=keep_predictions)
        loop = TestLoop(self.runner, cfg.test_dataloader, cfg.test_evaluator)
        metrics = loop.run()
        records = loop.evaluator.metrics[0].per_image
        result = dict(
            metrics={
                k: float(v)
                for k, v in metrics.items()
            },
            img_paths=[r['img_path'] for r in records],
            confusion=np.stack([r['confusion'] for r in records]),
            boundary=np.stack([r['boundary'] for r in records]))
        if keep_predictions:
            result['pred'] = [r['pred'] for r in records]
            result['label'] = [r['label'] for r in records]
        if cache:
            save_result(result, cache)
        return result


def evaluate_per_image(config: str,
                       checkpoint: str,
                       split: str = 'test',
                       corruption: Optional[dict] = None,
                       indices: Optional[Sequence[int]] = None,
                       keep_predictions: bool = False,
                       cache: Optional[str] = None) -> dict:
    """One evaluation (:meth:`PerImageEvaluator.evaluate`), or the result
    read back from ``cache`` without building the model."""
    if cache and osp.isfile(cache):
        return load_result(cache)
    with PerImageEvaluator(config, checkpoint, split) as evaluator:
        return evaluator.evaluate(corruption, indices, keep_predictions, cache)


def save_result(result: dict, path: str) -> None:
    """Write atomically: a reader never sees half a file, and an
    interrupted report recomputes only what was not written."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    arrays = dict(
        metrics=np.array(json.dumps(result['metrics'])),
        img_paths=np.array(result['img_paths']),
        confusion=result['confusion'],
        boundary=result['boundary'])
    for i, pred in enumerate(result.get('pred', [])):
        arrays[f'pred_{i}'] = pred
        arrays[f'label_{i}'] = result['label'][i]
    tmp = path + '.tmp.npz'
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)


def load_result(path: str) -> dict:
    """What :func:`save_result` wrote."""
    with np.load(path) as data:
        result = dict(
            metrics=json.loads(str(data['metrics'])),
            img_paths=[str(p) for p in data['img_paths']],
            confusion=data['confusion'],
            boundary=data['boundary'])
        count = sum(k.startswith('pred_') for k in data.files)
        if count:
            result['pred'] = [data[f'pred_{i}'] for i in range(count)]
            result['label'] = [data[f'label_{i}'] for i in range(count)]
    return result
