"""The tasks our configs serve, and everything that differs between them.

A config's ``default_scope`` names its task: ``mmseg`` configs do semantic
segmentation (label maps, mIoU; mmseg's registries, ``init_model``,
``MMSegInferencer``), ``mmdet`` configs panoptic segmentation (segments and
their ids, PQ; mmdet's registries, ``init_detector``, ``DetInferencer``).
Tools, apis, demos and the own-data config writer ask :func:`task_of` and
the returned :class:`Task` instead of comparing scope names.

A third task (instance segmentation, say) is one more subclass of
:class:`Task` in :data:`TASKS` (its scope, model builder, inferencer, what
``--out`` and ``--show-dir`` write, its :class:`PredictionWriter`); the
callers need no new branch.

This module imports mmengine, numpy, OpenCV and the file I/O at import
time (mmseg and mmdet when a task is used), so every layer of the package
above the file I/O may import it.
"""
import copy
import json
import os.path as osp
from importlib import import_module
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config
from mmengine.fileio import put_text
from mmengine.registry import DefaultScope, Registry

from mmseg_depict_light.panoptic_ids import id2rgb, segment_bbox
from .fileio import write_image


class PredictionWriter:
    """A task's predictions in its own file format under ``out_dir``: one
    :meth:`add` per image, :meth:`close` after the last. Every file is
    written all-or-nothing.

    Args:
        out_dir (str): Output folder (created as needed).
        meta (dict): The model's dataset meta (``classes``; panoptic:
            ``thing_classes``).
    """

    #: What the files are, for help texts and messages.
    description = ''

    def __init__(self, out_dir: str, meta: dict) -> None:
        self.out_dir = out_dir
        self.classes = list(meta['classes'])

    def add(self, name: str, source: str, image_shape: Sequence[int],
            sample) -> None:
        """Write one image's prediction.

        Args:
            name (str): Output name, ``<sub/folders/>file.png``.
            source (str): The input image's name relative to the input
                folder (what a dataset's file list would hold).
            image_shape (Sequence[int]): The input image's (H, W).
            sample: Its data sample (what :meth:`Task.infer` returned).
        """
        raise NotImplementedError

    def close(self) -> None:
        """Write what spans all images (nothing by default)."""


class LabelPNGWriter(PredictionWriter):
    """Semantic predictions as label PNGs, ``labels/<name>.png``: each
    pixel's class index (8-bit; 16-bit above 256 classes), what
    ``inference_model`` predicts and ``semantic_iou.py`` reads."""

    description = 'labels/<name>.png (class indices)'

    def add(self, name, source, image_shape, sample):
        labels = sample.pred_sem_seg.data[0].cpu().numpy()
        write_image(
            osp.join(self.out_dir, 'labels', name),
            labels.astype(np.uint8 if len(self.classes) <= 256 else np.uint16))


def coco_panoptic_categories(classes: Sequence[str],
                             thing_classes: Sequence[str]) -> List[dict]:
    """COCO panoptic ``categories``: ``id`` = class index, ``isthing``."""
    things = set(thing_classes)
    return [
        dict(id=i, name=name, isthing=int(name in things))
        for i, name in enumerate(classes)
    ]


def coco_panoptic_segments(
        panoptic: np.ndarray,
        categories: List[dict]) -> Tuple[np.ndarray, List[dict]]:
    """One image's panoptic prediction in the COCO panoptic format.

    Args:
        panoptic (np.ndarray): (H, W) ids in mmdet's encoding, ``label +
            instance * INSTANCE_OFFSET``; a label past the categories (the
            ``num_classes`` void or an ignore index) is void.
        categories (list[dict]): :func:`coco_panoptic_categories`.

    Returns:
        tuple: (H, W, 3) uint8 RGB id PNG array (0 = void, segments 1..n)
        and its ``segments_info`` (``id``, ``category_id``, ``iscrowd``,
        ``area``, ``bbox``, ``isthing``).
    """
    from mmdet.evaluation.functional import INSTANCE_OFFSET
    ids = np.zeros(panoptic.shape, dtype=np.int64)
    segments = []
    for value in np.unique(panoptic):
        label = int(value % INSTANCE_OFFSET)
        if label >= len(categories):  # void
            continue
        mask = panoptic == value
        segment_id = len(segments) + 1
        ids[mask] = segment_id
        segments.append(
            dict(
                id=segment_id,
                category_id=label,
                iscrowd=0,
                area=int(mask.sum()),
                bbox=segment_bbox(mask),
                isthing=categories[label]['isthing']))
    return id2rgb(ids), segments


def write_coco_panoptic_json(path: str, images: List[dict],
                             annotations: List[dict],
                             categories: List[dict]) -> None:
    """``panoptic.json`` (``images``, ``annotations``, ``categories``),
    written all-or-nothing."""
    put_text(
        json.dumps(
            dict(
                images=images, annotations=annotations,
                categories=categories)), path)


class COCOPanopticWriter(PredictionWriter):
    """Panoptic predictions in the COCO panoptic format:
    ``panoptic/<name>.png`` (RGB ids, ``id = R + 256 G + 256^2 B``, 0 =
    void) per image and ``panoptic.json`` (``images``, ``annotations`` with
    ``segments_info``, ``categories`` with ``id`` = class index) at
    :meth:`close`, what ``panoptic_quality.py`` reads."""

    description = ('panoptic/<name>.png + panoptic.json '
                   '(COCO panoptic format)')

    def __init__(self, out_dir: str, meta: dict) -> None:
        super().__init__(out_dir, meta)
        self.categories = coco_panoptic_categories(
            self.classes, meta.get('thing_classes', ()))
        self.images: List[dict] = []
        self.annotations: List[dict] = []

    def add(self, name, source, image_shape, sample):
        png, segments = coco_panoptic_segments(
            sample.pred_panoptic_seg.sem_seg[0].cpu().numpy(), self.categories)
        write_image(
            osp.join(self.out_dir, 'panoptic', name), png, channel_order='rgb')
        index = len(self.images)
        self.images.append(
            dict(
                id=index,
                file_name=source,
                height=int(image_shape[0]),
                width=int(image_shape[1])))
        self.annotations.append(
            dict(image_id=index, file_name=name, segments_info=segments))

    def close(self):
        write_coco_panoptic_json(
            osp.join(self.out_dir, 'panoptic.json'), self.images,
            self.annotations, self.categories)


class Task:
    """One task: a registry scope and the entry points of its library.

    Attributes:
        name (str): ``'semantic'`` or ``'panoptic'``.
        scope (str): The registries' scope (a config's ``default_scope``).
        panoptic (bool): Predictions are segments with ids, not a label map.
    """
    name: str = ''
    scope: str = ''
    panoptic: bool = False
    #: How :meth:`prediction_writer` writes predictions to files.
    writer_type: type = PredictionWriter

    def registry(self, kind: str) -> Registry:
        """The scope's registry ``kind`` (``'MODELS'``, ``'DATASETS'``,
        ``'RUNNERS'``, ...)."""
        return getattr(import_module(f'{self.scope}.registry'), kind)

    def dataset_class(self, type_name: str) -> type:
        """The dataset class a config's ``type`` names in this scope."""
        with DefaultScope.overwrite_default_scope(self.scope):
            return self.registry('DATASETS').get(type_name)

    def build_model(self, cfg: Config, device: str = 'cpu'):
        """The library's own model initialiser (no weights loaded)."""
        raise NotImplementedError

    def data_sample_type(self) -> type:
        """The library's data sample class (``SegDataSample`` /
        ``DetDataSample``)."""
        raise NotImplementedError

    def build_inferencer(self, cfg: Config, device: str = 'cpu'):
        """The library's own inferencer for the config (no weights)."""
        raise NotImplementedError

    def infer(self, inferencer, image) -> object:
        """One image (BGR array or path) -> its data sample."""
        raise NotImplementedError

    def set_visualizer_meta(self, visualizer, meta: dict) -> None:
        """Class names and palette for the library's visualizer."""
        raise NotImplementedError

    def has_segments(self, sample, num_classes: int) -> bool:
        """Whether a prediction has anything to paint (a panoptic one can
        be all void)."""
        return True

    def prediction_writer(self, out_dir: str, meta: dict) -> PredictionWriter:
        """The writer of this task's prediction files (:attr:`writer_type`)
        into ``out_dir``, for a model with dataset meta ``meta``."""
        return self.writer_type(out_dir, meta)

    def model_meta(self, meta: dict, model_meta: dict) -> dict:
        """The meta a model predicts with: ``meta`` (the checkpoint's or the
        config's dataset's), completed by what the library's initialiser
        set (``model_meta``)."""
        meta = dict(meta)
        meta.setdefault('palette', model_meta.get('palette', 'random'))
        return meta

    def set_test_outputs(self, cfg: Config, out: Optional[str],
                         show_dir: Optional[str]) -> None:
        """What ``tools/test.py --out`` and ``--show-dir`` write."""
        raise NotImplementedError

    def add_test_writers(self, runner, out: Optional[str]) -> None:
        """Writers that need the built Runner (after
        :meth:`set_test_outputs`)."""

    def crop_size_hw(self, crop_size) -> tuple:
        """A ``RandomCrop``'s ``crop_size`` in (height, width) order."""
        return tuple(crop_size)

    def crop_size(self, hw) -> tuple:
        """(height, width) -> a ``RandomCrop``'s ``crop_size``."""
        return tuple(hw)


class SemanticTask(Task):
    """mmseg: label maps, ``IoUMetric``."""
    name = 'semantic'
    scope = 'mmseg'
    panoptic = False
    writer_type = LabelPNGWriter

    def build_model(self, cfg, device='cpu'):
        from mmseg.apis import init_model
        return init_model(cfg, None, device=device)

    def data_sample_type(self):
        from mmseg.structures import SegDataSample
        return SegDataSample

    def build_inferencer(self, cfg, device='cpu'):
        from mmseg.apis import MMSegInferencer
        return MMSegInferencer(model=cfg, device=device)

    def infer(self, inferencer, image):
        result = inferencer(image, return_datasamples=True)
        return result[0] if isinstance(result, list) else result

    def set_visualizer_meta(self, visualizer, meta):
        visualizer.set_dataset_meta(meta['classes'], meta['palette'])

    def set_test_outputs(self, cfg, out, show_dir):
        if show_dir:
            cfg.visualizer['save_dir'] = show_dir
        if out:  # IoUMetric writes the predicted label maps as PNGs there.
            cfg.test_evaluator['output_dir'] = out
            cfg.test_evaluator['keep_results'] = True


class PanopticTask(Task):
    """mmdet: panoptic segments, PQ."""
    name = 'panoptic'
    scope = 'mmdet'
    panoptic = True
    writer_type = COCOPanopticWriter

    def build_model(self, cfg, device='cpu'):
        from mmdet.apis import init_detector
        return init_detector(cfg, None, device=device)

    def data_sample_type(self):
        from mmdet.structures import DetDataSample
        return DetDataSample

    def build_inferencer(self, cfg, device='cpu'):
        from mmdet.apis import DetInferencer
        return DetInferencer(model=cfg, device=device, show_progress=False)

    def infer(self, inferencer, image):
        result = inferencer(
            image,
            return_datasamples=True,
            no_save_vis=True,
            no_save_pred=True)['predictions']
        return result[0] if isinstance(result, list) else result

    def set_visualizer_meta(self, visualizer, meta):
        visualizer.dataset_meta = meta

    def has_segments(self, sample, num_classes):
        from mmdet.evaluation.functional import INSTANCE_OFFSET
        labels = sample.pred_panoptic_seg.sem_seg % INSTANCE_OFFSET
        return bool((labels < num_classes).any())

    def model_meta(self, meta, model_meta):
        # init_detector's palette comes first, as mmdet orders them.
        meta = dict(meta)
        if 'palette' in model_meta:
            meta['palette'] = model_meta['palette']
        return super().model_meta(meta, model_meta)

    def set_test_outputs(self, cfg, out, show_dir):
        if show_dir:
            cfg.default_hooks.visualization['test_out_dir'] = show_dir
        if out and not out.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out {out}: mmdet configs dump results to a '
                             'pickle file (.pkl / .pickle)')

    def add_test_writers(self, runner, out):
        if out:  # the raw predictions, next to the metrics
            from mmdet.evaluation import DumpDetResults
            runner.test_evaluator.metrics.append(
                DumpDetResults(out_file_path=out))

    # mmdet's RandomCrop takes (w, h), mmseg's (h, w).
    def crop_size_hw(self, crop_size):
        return tuple(crop_size)[::-1]

    def crop_size(self, hw):
        return tuple(hw)[::-1]


#: scope -> task; a config's ``default_scope`` picks one.
TASKS: Dict[str, Task] = {t.scope: t for t in (SemanticTask(), PanopticTask())}


def task_for_scope(scope: str) -> Task:
    """The task of a registry scope, or an error naming the scopes."""
    if scope not in TASKS:
        raise ValueError(f'default_scope={scope!r} is not supported; '
                         f'expected one of {tuple(TASKS)}')
    return TASKS[scope]


def task_of(cfg: Config) -> Task:
    """The task of a config (its ``default_scope``; mmseg if unset)."""
    return task_for_scope(cfg.get('default_scope', 'mmseg'))


def config_dataset_meta(cfg: Config) -> dict:
    """``classes``, ``palette`` (and for panoptic datasets the thing / stuff
    split) of the config's test dataset, read without touching its files.

    Args:
        cfg (Config): A config with ``test_dataloader.dataset``.

    Returns:
        dict: The dataset's ``metainfo`` (lists, ready for a checkpoint).
    """
    dataset_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    # Wrappers keep the real dataset one level down.
    while dataset_cfg['type'] in ('ConcatDataset', 'RepeatDataset',
                                  'ClassBalancedDataset'):
        dataset_cfg = dataset_cfg.get('dataset') or dataset_cfg['datasets'][0]
    dataset_class = task_of(cfg).dataset_class(dataset_cfg['type'])
    # The class's METAINFO with the config's overrides, without building
    # the dataset: some datasets check their folders even when lazy.
    return meta_lists(
        dataset_class._load_metainfo(
            copy.deepcopy(dataset_cfg.get('metainfo'))))


def meta_lists(metainfo: dict) -> dict:
    """The class names, palette and thing / stuff split of a dataset's
    metainfo, as lists (what checkpoints and visualizers take)."""
    return {
        key: [list(v) for v in value]
        if key == 'palette' and not isinstance(value, str) else list(value)
        for key, value in metainfo.items()
        if key in ('classes', 'palette', 'thing_classes', 'stuff_classes')
    }
