"""Shared helpers: generated datasets in the real layouts, configs shrunk to
CPU-test size (same transforms and classes, smaller images), and running the
real ``tools/*.py`` as a user would."""
import glob
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys
from typing import List, Tuple

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmseg_depict  # noqa: F401
from mmseg_depict.datasets.synthetic import LAYOUTS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

if os.environ.get('PYTEST_XDIST_WORKER'):
    # Parallel workers (pytest.ini: -n 2) share the cores: one thread each,
    # for the worker and the tools it starts, instead of oversubscribing.
    os.environ['OMP_NUM_THREADS'] = '1'
    torch.set_num_threads(1)
CONFIGS = osp.join(ROOT, 'configs')

#: Representative DEPICT config per dataset layout.
DATASET_CONFIGS = {
    'ade20k':
    'depict/depict-sa_vit-t16_8xb1-160k_ade20k-512x512.py',
    'cityscapes':
    'depict/depict-ca_vit-t16_8xb1-80k_cityscapes-768x768.py',
    'pascal_context':
    'depict/depict-sa_vit-t16_8xb2-80k_pascal-context-59-480x480.py',
    'coco_panoptic':
    'mask2former/mask2former_r50_8xb2-lsj-50e_coco-panoptic.py',
    'ade20k_panoptic':
    'mask2former/mask2former_r50_8xb2-160k_ade20k-panoptic-640x640.py',
    'cityscapes_panoptic':
    'mask2former/mask2former_r50_8xb2-90k_cityscapes-panoptic-512x1024.py',
}
#: Generated image size per layout (H, W): non-square like the real data.
LAYOUT_SIZES = {
    'ade20k': (64, 80),
    'cityscapes': (64, 128),
    'pascal_context': (64, 96),
    'coco_panoptic': (64, 96),
    'ade20k_panoptic': (64, 80),
    'cityscapes_panoptic': (64, 128),
}
CROP = 64


def shrink_config(cfg: Config,
                  data_root: str,
                  max_iters: int = 2,
                  checkpoint_interval: int = None) -> Config:
    """Make a real config cheap to run on a CPU: every image scale and crop
    becomes ``CROP`` sized, a few iterations, no workers, no pretrained
    weights. Transforms, datasets, head and metrics stay as configured."""
    crop = (CROP, CROP)

    def shrink_pipeline(pipeline):
        for t in pipeline:
            if 'scale' in t and t['type'] in ('Resize', 'RandomResize'):
                t['scale'] = crop
            if 'scales' in t:  # RandomChoiceResize
                t['scales'] = [CROP]
            if t['type'] == 'EnlargeShortSide':  # the sliding window
                t['min_size'] = CROP
            if t['type'] == 'RandomCrop':
                t['crop_size'] = crop
            if t['type'] == 'TestTimeAug':
                for group in t['transforms']:
                    shrink_pipeline(group)

    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[key]
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.dataset.data_root = data_root
        shrink_pipeline(loader.dataset.pipeline)
    for key in ('train_pipeline', 'test_pipeline', 'tta_pipeline'):
        # Top-level copies: mmseg's inference_model reads test_pipeline.
        if key in cfg:
            shrink_pipeline(cfg[key])
    cfg.model.pretrained = None
    cfg.model.backbone.init_cfg = None
    cfg.model.data_preprocessor.size = crop
    if 'img_size' in cfg.model.backbone:  # ViT
        cfg.model.backbone.img_size = crop
    if cfg.model.test_cfg.get('mode') == 'slide':
        cfg.model.test_cfg.crop_size = crop
        cfg.model.test_cfg.stride = (CROP // 2, CROP // 2)
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = max_iters
    cfg.param_scheduler = [
        dict(s, end=max_iters) if s.get('end', 0) > max_iters else s
        for s in cfg.param_scheduler
    ]
    cfg.default_hooks.checkpoint.interval = checkpoint_interval or max_iters
    _shrink_common(cfg, cfg.model.decode_head.get('train_cfg'))
    return cfg


#: Points sampled per mask (Mask2Former): 12544 in the recipe, more than a
#: test image has pixels.
TEST_POINTS = 1024


def _shrink_common(cfg: Config, point_cfg) -> None:
    cfg.default_hooks.logger.interval = 1
    # One checkpoint per run is enough to test with; "best" copies only
    # cost disk writes.
    cfg.default_hooks.checkpoint.pop('save_best', None)
    if point_cfg and 'num_points' in point_cfg:
        point_cfg.num_points = TEST_POINTS
    cfg.randomness = dict(seed=0)


def _shrink_det_pipeline(pipeline, crop) -> None:
    for t in pipeline:
        if t['type'] in ('Resize', 'RandomResize'):
            t['scale'] = crop
        if t['type'] == 'RandomChoiceResize':
            t['scales'] = [crop]
        if t['type'] == 'EnlargeShortSide':  # the sliding window
            t['min_size'] = CROP
        if t['type'] == 'RandomCrop':
            t['crop_size'] = crop
            if t.get('crop_type') == 'absolute_range':
                t['crop_size'] = (CROP // 2, CROP)
        if t['type'] == 'RandomChoice':
            for choice in t['transforms']:
                _shrink_det_pipeline(choice, crop)


def shrink_mmdet_config(cfg: Config,
                        data_root: str,
                        max_iters: int = 2) -> Config:
    """The mmdet counterpart of :func:`shrink_config` (panoptic configs)."""
    crop = (CROP, CROP)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[key]
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.dataset.data_root = data_root
        _shrink_det_pipeline(loader.dataset.pipeline, crop)
    cfg.train_dataloader.batch_size = 2
    cfg.model.backbone.init_cfg = None
    for augment in cfg.model.data_preprocessor.get('batch_augments') or []:
        augment['size'] = crop
    if 'max_epochs' in cfg.train_cfg:
        # Epoch-based recipes: one epoch of the 4 generated images, batch 2.
        cfg.train_cfg.max_epochs = 1
        cfg.train_cfg.val_interval = 1
        cfg.default_hooks.checkpoint.interval = 1
    else:
        cfg.train_cfg.max_iters = max_iters
        cfg.train_cfg.val_interval = max_iters
        cfg.default_hooks.checkpoint.interval = max_iters
    _shrink_common(cfg, cfg.model.get('train_cfg'))
    return cfg


def shrink_for_inference(cfg: Config) -> Config:
    """A config's inference at test size: the test pipelines' scales, the
    sliding window and the ViT grid become ``CROP`` sized; no pretrained
    weights. Every transform stays."""
    crop = (CROP, CROP)
    _shrink_det_pipeline(cfg.test_dataloader.dataset.pipeline, crop)
    if 'test_pipeline' in cfg:  # what mmseg's inference_model reads
        _shrink_det_pipeline(cfg.test_pipeline, crop)
    if 'pretrained' in cfg.model:
        cfg.model.pretrained = None
    cfg.model.backbone.init_cfg = None
    if 'img_size' in cfg.model.backbone:  # ViT
        cfg.model.backbone.img_size = crop
    test_cfg = cfg.model.get('test_cfg') or {}
    if test_cfg.get('mode') == 'slide':
        test_cfg.crop_size = crop
        test_cfg.stride = (CROP // 2, CROP // 2)
    return cfg


def write_config(cfg: Config, path: str) -> str:
    cfg.dump(path)
    return path


def run_tool(args: List[str], check: bool = True, timeout: int = 600):
    """Run ``python tools/<args>`` from the repository root."""
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    proc = subprocess.run([sys.executable, *args],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{" ".join(args)} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}')
    return proc


def load_script(relative_path: str):
    """A script of the repository as a module (to call its ``main``)."""
    spec = importlib.util.spec_from_file_location(
        osp.splitext(osp.basename(relative_path))[0],
        osp.join(ROOT, relative_path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def last_validation(work_dir: str) -> dict:
    """The last validation record a training run logged."""
    scalars, = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(scalars) as f:
        records = [json.loads(line) for line in f]
    return [r for r in records if 'lr' not in r][-1]


def train_and_test_in_process(config: str, work_dir: str,
                              checkpoint: str) -> Tuple[dict, dict]:
    """The config trained and then tested by mmengine's Runner in this
    process (what tools/train.py and tools/test.py run, without paying for
    a new interpreter): returns the last validation metrics of training and
    the metrics of testing ``checkpoint`` (relative to ``work_dir``)."""

    def run_config(run_dir: str) -> Config:
        cfg = Config.fromfile(config)
        cfg.work_dir = run_dir
        # Visualizers are per-process singletons looked up by name, and the
        # configs name theirs 'visualizer': a run needs its own, or its
        # scalars land in the first run's folder.
        cfg.visualizer.name = f'visualizer:{run_dir}'
        return cfg

    Runner.from_cfg(run_config(work_dir)).train()
    validation = last_validation(work_dir)
    cfg = run_config(osp.join(work_dir, 'test'))
    cfg.load_from = osp.join(work_dir, checkpoint)
    return validation, Runner.from_cfg(cfg).test()


@pytest.fixture(scope='session')
def synthetic_roots(tmp_path_factory) -> dict:
    """One small generated dataset per layout: 4 train / 2 val images."""
    base = str(tmp_path_factory.mktemp('synthetic'))
    return {
        layout:
        LAYOUTS[layout](
            osp.join(base, layout), 4, 2, LAYOUT_SIZES[layout], seed=1)
        for layout in LAYOUTS
    }


def small_config(layout: str,
                 data_root: str,
                 out_dir: str,
                 config: str = None,
                 **overrides) -> str:
    """Write a shrunk config (default: the representative one of
    ``layout``) to ``out_dir``."""
    config = config or DATASET_CONFIGS[layout]
    cfg = Config.fromfile(osp.join(CONFIGS, config))
    shrink = shrink_mmdet_config if cfg.default_scope == 'mmdet' \
        else shrink_config
    cfg = shrink(cfg, data_root, **overrides)
    name = osp.splitext(osp.basename(config))[0]
    return write_config(cfg, osp.join(out_dir, f'{name}_small.py'))


class _TrainedRuns(dict):
    """layout -> (config, work_dir) of a 2-iteration training run, trained
    the first time a test asks for it (so parallel workers only train what
    their tests use)."""

    def __init__(self, roots: dict, tmp_path_factory) -> None:
        super().__init__()
        self.roots = roots
        self.tmp_path_factory = tmp_path_factory

    def __missing__(self, layout: str):
        out = str(self.tmp_path_factory.mktemp(layout))
        config = small_config(layout, self.roots[layout], out)
        work_dir = osp.join(out, 'work')
        run_tool(['tools/train.py', config, '--work-dir', work_dir])
        self[layout] = (config, work_dir)
        return self[layout]


@pytest.fixture(scope='session')
def trained(synthetic_roots, tmp_path_factory):
    """Each layout trained for 2 iterations (checkpoint + validation)."""
    return _TrainedRuns(synthetic_roots, tmp_path_factory)


@pytest.fixture(autouse=True)
def mmseg_scope():
    """Each test starts in mmseg's scope; tests of mmdet modules switch."""
    init_default_scope('mmseg')


def pytest_collection_modifyitems(items):
    # With `-n 2 --dist loadgroup` (pytest.ini), the tests that share the
    # lazily trained runs stay on one worker, so nothing is trained twice.
    for item in items:
        if 'trained' in getattr(item, 'fixturenames', ()):
            item.add_marker(pytest.mark.xdist_group('trained'))
