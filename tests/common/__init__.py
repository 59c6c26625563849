"""Shared helpers, fixtures and hooks of the tests, registered as a pytest
plugin by conftest.py in the processes that run tests; one module per
purpose:

* :mod:`.environment` — how a test process runs (ROOT, one thread,
  memoised metafile look-ups, garbage frozen, fsync skipped);
* :mod:`.configs` — real configs shrunk to CPU-test size;
* :mod:`.tool_runner` — ``tools/*.py`` run as a user would (``run_tool``);
* :mod:`.training` — train + test a config, generated datasets, the runs
  that tests share;
* :mod:`.models` — small models built without a config.

Tests import the names from here (``from .common import run_tool``).
"""
import mmseg_depict  # noqa: F401  (registers the modules first)
from mmseg_depict.dataset_prep.synthetic import SYNTHETIC_MAKERS
from .configs import (CROP, DATASET_CONFIGS, LAYOUT_SIZES, TEST_POINTS,
                      load_unformatted_config, shrink_config,
                      shrink_for_inference, shrink_mmdet_config, small_config,
                      write_config)
from .environment import (CONFIGS, ROOT, freeze_survivors, fsync_skipped,
                          mmseg_scope, real_fsync)
from .models import small_depict_segmentor, without_dropout
from .tool_runner import load_script, run_tool
from .training import (ONE_STEP, last_checkpoint, last_validation,
                       pytest_collection_modifyitems, synthetic_roots,
                       train_and_test_config, train_and_test_in_process,
                       trained)

__all__ = [
    'CONFIGS', 'CROP', 'DATASET_CONFIGS', 'LAYOUT_SIZES', 'ONE_STEP', 'ROOT',
    'SYNTHETIC_MAKERS', 'TEST_POINTS', 'freeze_survivors', 'fsync_skipped',
    'last_checkpoint', 'last_validation', 'load_script',
    'load_unformatted_config', 'mmseg_scope', 'pytest_collection_modifyitems',
    'real_fsync', 'run_tool', 'shrink_config', 'shrink_for_inference',
    'shrink_mmdet_config', 'small_config', 'small_depict_segmentor',
    'synthetic_roots', 'train_and_test_config', 'train_and_test_in_process',
    'trained', 'without_dropout', 'write_config'
]
