"""Training and testing a config: in this process, or through
``tools/train.py`` once per layout for the tests that share the runs
(``trained``), on generated datasets (``synthetic_roots``)."""
import glob
import json
import os.path as osp
from typing import Tuple

import pytest
import torch
from mmengine.runner import Runner

from mmseg_depict.dataset_prep.synthetic import SYNTHETIC_MAKERS
from .configs import LAYOUT_SIZES, load_unformatted_config, small_config
from .tool_runner import run_tool


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


def pytest_collection_modifyitems(items):
    # With `-n 2 --dist loadgroup` (pytest.ini), the tests that share the
    # lazily trained runs stay on one worker, so nothing is trained twice.
    for item in items:
        if 'trained' in getattr(item, 'fixturenames', ()):
            item.add_marker(pytest.mark.xdist_group('trained'))
