"""Every config formats and dumps with mmengine's own code (yapf included),
as a Runner does when it starts: the forked tool runs of the other tests
skip that formatting (``load_unformatted_config``), so this is where "Failed
to format the config file" would show."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from tests.common import CONFIGS

ALL_CONFIGS = sorted(
    osp.relpath(p, CONFIGS) for p in glob.glob(osp.join(CONFIGS, '*', '*.py'))
    if '_base_' not in p)


@pytest.mark.parametrize('config', ALL_CONFIGS)
def test_config_dumps_and_reloads(config, tmp_path):
    cfg = Config.fromfile(osp.join(CONFIGS, config))
    dumped = str(tmp_path / 'dumped.py')
    cfg.dump(dumped)  # pretty_text: mmengine's FormatCode
    assert Config.fromfile(dumped).to_dict() == cfg.to_dict()


def test_every_config_is_covered():
    assert len(ALL_CONFIGS) >= 61
