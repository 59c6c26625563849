"""Shared helpers, fixtures and hooks of the tests (registered as a pytest
plugin by conftest.py in the processes that run tests): generated datasets in
the real layouts, configs shrunk to CPU-test size (same transforms and
classes, smaller images), and running the real ``tools/*.py`` as a user
would."""
import functools
import gc
import glob
import importlib.util
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from typing import List, Tuple

import cv2
import mmengine.config.utils
import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.utils import ManagerMixin
from mmseg.registry import MODELS as SEG_MODELS

import mmseg_depict  # noqa: F401
from mmseg_depict.dataset_prep.synthetic import SYNTHETIC_MAKERS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# One thread for torch and OpenCV in the test process and the tools it
# starts: the two xdist workers (pytest.ini: -n 2) share the cores, and
# run_tool forks, where a thread pool the parent had started would be
# missing in the child and deadlock it.
os.environ['OMP_NUM_THREADS'] = '1'
torch.set_num_threads(1)
cv2.setNumThreads(1)
CONFIGS = osp.join(ROOT, 'configs')


def _remember_outcomes(lookup):
    """``lookup`` answering each argument tuple once, failures included:
    ``functools.lru_cache`` does not keep a raised error."""
    outcomes = {}

    @functools.wraps(lookup)
    def remembered(*args):
        if args not in outcomes:
            try:
                outcomes[args] = (lookup(*args), None)
            except ValueError as error:
                outcomes[args] = (None, str(error))
        found, error = outcomes[args]
        if error is not None:
            raise ValueError(error)
        return found

    return remembered


# A config with an `mmdet::` or `mmseg::` base makes mmengine read every
# metafile of that package (~80 YAML files, ~0.2 s) on each load; they do
# not change during a test session, so each lookup runs once. The lookup of
# a base without a metafile entry (`mmdet::_base_/default_runtime.py`, under
# every mmdet-scoped config here) ends in a ValueError that mmengine catches,
# so failures are remembered too.
mmengine.config.utils._get_cfg_metainfo = _remember_outcomes(
    mmengine.config.utils._get_cfg_metainfo)

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
    'camvid': (60, 80),
    'cityscapes': (64, 128),
    'pascal_context': (64, 96),
    'coco_panoptic': (64, 96),
    'ade20k_panoptic': (64, 80),
    'cityscapes_panoptic': (64, 128),
}
CROP = 64


def small_depict_segmentor(crop, stride, batch_size):
    """A small DEPICT-SA ``BatchedSlideEncoderDecoder`` (fused ViT, 2 layers)
    in float64, eval mode, slide test with ``crop`` / ``stride``."""
    torch.manual_seed(0)
    model = SEG_MODELS.build(
        ConfigDict(
            type='BatchedSlideEncoderDecoder',
            backbone=dict(
                type='FusedVisionTransformer',
                img_size=crop,
                patch_size=8,
                embed_dims=32,
                num_layers=2,
                num_heads=2,
                final_norm=True,
                interpolate_mode='bilinear'),
            decode_head=dict(
                type='DEPICTHead',
                mode='sa',
                in_channels=32,
                num_classes=5,
                num_layers=1,
                num_heads=2,
                dim_head=8,
                loss_decode=dict(type='CrossEntropyLoss')),
            test_cfg=dict(
                mode='slide',
                crop_size=crop,
                stride=stride,
                batch_size=batch_size)))
    model.init_weights()
    return model.double().eval()


def without_dropout(module):
    """Every ``nn.Dropout`` off. mmcv 2.1.0's ``MultiheadAttention`` writes a
    ``dropout=`` argument into its *default* ``dropout_layer`` dict, so once
    a model with ``dropout=0.1`` attention (mmdet's DETR) is built, every
    later module built without ``dropout_layer`` (mmseg's ViT layers) in that
    process drops its output with p=0.1."""
    for m in module.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    return module


def load_unformatted_config(path: str) -> Config:
    """``Config.fromfile`` without yapf formatting of the config's text.

    mmengine reformats the whole text with yapf each time a config is
    dumped or logged (about 1.5 s a call on this machine, nine calls per
    in-process train + test); the tests never read that text, and the
    unformatted dump is the same Python. (``fromfile``'s own
    ``format_python_code`` flag only reaches lazy-import configs.)
    """
    cfg = Config.fromfile(path)
    return Config(
        cfg.to_dict(),
        cfg_text=cfg.text,
        filename=cfg.filename,
        env_variables=cfg.env_variables,
        format_python_code=False)


def shrink_config(cfg: Config,
                  data_root: str,
                  max_iters: int = 2,
                  checkpoint_interval: int = None,
                  save_optimizer: bool = False) -> Config:
    """Make a real config cheap to run on a CPU: every image scale and crop
    becomes ``CROP`` sized, a few iterations, no workers, no pretrained
    weights, checkpoints without optimizer state unless ``save_optimizer``
    (the resume test needs it). Transforms, datasets, head and metrics stay
    as configured."""
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
    cfg.model.data_preprocessor.pop('size_divisor', None)
    if 'img_size' in cfg.model.backbone:  # ViT
        cfg.model.backbone.img_size = crop
    if cfg.model.test_cfg.get('mode') == 'slide':
        cfg.model.test_cfg.crop_size = crop
        cfg.model.test_cfg.stride = (CROP // 2, CROP // 2)
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = max_iters
    # Schedules end with the run; a phase that would begin after it (the
    # decay after a warm-up) is left out.
    cfg.param_scheduler = [
        dict(s, end=max_iters) if s.get('end', 0) > max_iters else s
        for s in cfg.param_scheduler if s.get('begin', 0) < max_iters
    ]
    cfg.default_hooks.checkpoint.interval = checkpoint_interval or max_iters
    _shrink_common(cfg, cfg.model.decode_head.get('train_cfg'), save_optimizer)
    return cfg


#: Points sampled per mask (Mask2Former): 12544 in the recipe, more than a
#: test image has pixels.
TEST_POINTS = 1024


def _shrink_common(cfg: Config,
                   point_cfg,
                   save_optimizer: bool = False) -> None:
    cfg.default_hooks.logger.interval = 1
    # One checkpoint per run is enough to test with; "best" copies and
    # the optimizer state (twice the weights with Adam) only cost disk
    # writes.
    cfg.default_hooks.checkpoint.pop('save_best', None)
    cfg.default_hooks.checkpoint.save_optimizer = save_optimizer
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
        # Epoch-based recipes: one epoch of `max_iters` batches of 2 (the
        # first images of the generated training set).
        cfg.train_dataloader.dataset.indices = 2 * max_iters
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


def run_tool(args: List[str],
             check: bool = True,
             timeout: int = 600,
             new_interpreter: bool = False) -> subprocess.CompletedProcess:
    """Run ``python <args>`` (a script of the repository and its arguments)
    from the repository root; returns its exit code and output.

    By default the script's ``main(argv)`` runs in a child forked from the
    test process, which has torch, mmseg, mmdet and mmseg_depict imported
    already: the same code path as the command line at none of the ~8 s a
    new interpreter pays for its imports. ``new_interpreter=True`` starts
    ``python`` itself, where what only a fresh process shows is tested
    (imports, ``sys.path``, the ``__main__`` block): every script's
    ``--help``, tools/test.py on mmdet's runner. train.py (both runners)
    and test.py (mmseg's) start fresh through torchrun in
    test_distributed.py.
    """
    if new_interpreter:
        return _run_in_new_interpreter(args, check, timeout)
    return _run_forked(args, check, timeout)


def _run_in_new_interpreter(args, check, timeout):
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    proc = subprocess.run([sys.executable, *args],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    return _checked(proc, args, check)


def _checked(proc, args, check):
    if check and proc.returncode != 0:
        raise AssertionError(f'{" ".join(args)} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}')
    return proc


def _forget_mmengine_instances() -> None:
    """Drop the named singletons (loggers, visualizers, message hubs) that
    the test process created: a fresh interpreter has none, and a tool must
    not write into an earlier run's visualizer folder."""
    pending = [ManagerMixin]
    while pending:
        cls = pending.pop()
        cls._instance_dict.clear()
        pending.extend(cls.__subclasses__())


def _redirect(stream, fd: int, target) -> None:
    """Send ``fd`` and the file under ``stream`` to ``target``: objects
    that captured ``sys.stdout`` at import (mmengine's ProgressBar) write
    through pytest's capture file, not fd 1."""
    os.dup2(target.fileno(), fd)
    try:
        os.dup2(target.fileno(), stream.fileno())
    except (AttributeError, OSError, ValueError):
        pass  # an in-memory capture: nothing under it to redirect


def _skip_config_formatting() -> None:
    """In a forked tool: mmengine's config text without its yapf pass
    (see :func:`load_unformatted_config`); the new-interpreter runs keep it."""
    import mmengine.config.config as config_module
    config_module.FormatCode = lambda text, **kwargs: (text, False)


def _run_forked(args, check, timeout):
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            code = 1
            try:
                _redirect(sys.stdout, 1, out)
                _redirect(sys.stderr, 2, err)
                sys.stdout = open(1, 'w', buffering=1, closefd=False)
                sys.stderr = open(2, 'w', buffering=1, closefd=False)
                os.chdir(ROOT)
                sys.argv = list(args)
                # What `python script.py` puts first on the path.
                sys.path.insert(0, osp.dirname(osp.join(ROOT, args[0])))
                _forget_mmengine_instances()
                _skip_config_formatting()
                result = load_script(args[0]).main(list(args[1:]))
                # As `sys.exit(main())` would: an int is the exit code.
                code = result if isinstance(result, int) else 0
            except SystemExit as exit_:
                if exit_.code is None or isinstance(exit_.code, int):
                    code = exit_.code or 0
                else:
                    print(exit_.code, file=sys.stderr)
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        deadline = time.monotonic() + timeout
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise subprocess.TimeoutExpired(args, timeout)
            time.sleep(0.02)
        output = []
        for stream in (out, err):
            stream.seek(0)
            output.append(stream.read().decode('utf-8', 'replace'))
    proc = subprocess.CompletedProcess(args, os.waitstatus_to_exitcode(status),
                                       *output)
    return _checked(proc, args, check)


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


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint a training run saved last (mmengine records it)."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


#: Training iterations of the tests that train and test one config each:
#: one step (loss, backward, optimizer, checkpoint, validation) shows the
#: recipe runs; the shared `trained` runs and the resume test take more.
ONE_STEP = dict(max_iters=1)


def train_and_test_in_process(config: str, work_dir: str) -> Tuple[dict, dict]:
    """The config trained and then tested by mmengine's Runner in this
    process (what tools/train.py and tools/test.py run, without paying for
    a new interpreter): returns the last validation metrics of training and
    the metrics of testing the last checkpoint it saved.

    The test runs on the training's Runner (``runner.test()`` after
    ``runner.train()``, as mmengine allows; a second Runner would build the
    model, its initial weights and the hooks again for nothing). Its
    weights and buffers are zeroed first and then loaded from the
    checkpoint, which must give back every trained tensor exactly, so what
    is tested is what the checkpoint holds.
    tools/test.py itself, with a Runner of its own, runs on the shared
    trained runs (test_train_test_e2e.py) for both runners.
    """
    cfg = load_unformatted_config(config)
    cfg.work_dir = work_dir
    # Visualizers are per-process singletons looked up by name, and the
    # configs name theirs 'visualizer': a run needs its own, or its scalars
    # land in the first run's folder.
    cfg.visualizer.name = f'visualizer:{work_dir}'
    # So are the default scope and the logger, named after the experiment
    # (config file name + start second by default): two runs of same-named
    # configs within a second shared them, and an mmdet run then built its
    # model in the mmseg scope of the run before.
    cfg.experiment_name = work_dir
    runner = Runner.from_cfg(cfg)
    runner.train()
    validation = last_validation(work_dir)
    trained = {k: v.clone() for k, v in runner.model.state_dict().items()}
    with torch.no_grad():
        for tensor in runner.model.state_dict().values():
            tensor.zero_()
    runner.load_checkpoint(last_checkpoint(work_dir), strict=True)
    loaded = runner.model.state_dict()
    for key, value in trained.items():
        assert torch.equal(loaded[key], value), f'{key} differs in checkpoint'
    return validation, runner.test()


def train_and_test_config(layout: str, data_root: str, config: str,
                          tmp_path) -> Tuple[dict, dict, str]:
    """``config`` (relative to configs/) shrunk to the generated data of
    ``layout``, trained for :data:`ONE_STEP` and tested in this process:
    returns the validation and test metrics and the work dir."""
    config = small_config(
        layout, data_root, str(tmp_path), config=config, **ONE_STEP)
    work_dir = str(tmp_path / 'work')
    return (*train_and_test_in_process(config, work_dir), work_dir)


@pytest.fixture(scope='session')
def synthetic_roots(tmp_path_factory) -> dict:
    """One small generated dataset per layout: 4 train / 2 val images."""
    base = str(tmp_path_factory.mktemp('synthetic'))
    return {
        layout:
        SYNTHETIC_MAKERS[layout](
            osp.join(base, layout), 4, 2, LAYOUT_SIZES[layout], seed=1)
        for layout in SYNTHETIC_MAKERS
    }


def small_config(layout: str,
                 data_root: str,
                 out_dir: str,
                 config: str = None,
                 **overrides) -> str:
    """Write a shrunk config (default: the representative one of
    ``layout``) to ``out_dir``."""
    config = config or DATASET_CONFIGS[layout]
    cfg = load_unformatted_config(osp.join(CONFIGS, config))
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
        # Forked: tools/train.py starts from fresh interpreters for both
        # runners in test_distributed.py (dist_train.sh).
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


# The modules imported above (torch, mmengine, mmseg, mmdet) are hundreds of
# thousands of objects that live as long as the test process. Frozen, they
# are left out of the full garbage collections, which mmengine runs each
# time it builds a dataset (`gc.collect()` in `BaseDataset`).
gc.freeze()


@pytest.fixture(autouse=True)
def freeze_survivors():
    """After each test, its garbage is collected and what survives it
    (registries, caches, session fixtures) is frozen too, so the collections
    of the next test only walk the objects that test makes."""
    yield
    gc.collect()
    gc.freeze()


_REAL_FSYNC = os.fsync


@pytest.fixture(autouse=True, scope='session')
def fsync_skipped():
    """``os.fsync`` is a no-op in every test process (and the tools forked
    from it): the tests check that checkpoints and outputs are written whole
    (temporary file, then rename), not that they would survive a power cut,
    and flushing the suite's ~8 GB of checkpoints to the disk only made them
    wait. :func:`real_fsync` gives a test the real call back; tests that
    need a failing fsync patch it."""
    os.fsync = lambda fd: None
    yield
    os.fsync = _REAL_FSYNC


@pytest.fixture
def real_fsync(monkeypatch):
    """The real ``os.fsync`` for one test; returns the list of the file
    descriptors it was called on."""
    calls = []

    def counted(fd):
        calls.append(fd)
        return _REAL_FSYNC(fd)

    monkeypatch.setattr(os, 'fsync', counted)
    return calls
