"""How the test processes run: paths, one thread, memoised metafile
look-ups, frozen garbage, no fsync, mmseg's default scope per test."""
import functools
import gc
import os
import os.path as osp

import cv2
import mmengine.config.utils
import pytest
import torch
from mmengine.registry import init_default_scope

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

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


@pytest.fixture(autouse=True)
def mmseg_scope():
    """Each test starts in mmseg's scope; tests of mmdet modules switch."""
    init_default_scope('mmseg')


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
