"""Registers tests/common/ (helpers, fixtures, hooks) as a plugin in every
process that runs tests. The pytest-xdist controller (pytest.ini: ``-n 2``)
runs none and skips it: its imports (torch, mmengine, mmseg, mmdet) took
~5 s before the workers started."""
import os


def pytest_configure(config):
    xdist_controller = bool(getattr(config.option, 'numprocesses', 0)) \
        and 'PYTEST_XDIST_WORKER' not in os.environ
    if not xdist_controller:
        config.pluginmanager.import_plugin('tests.common')
