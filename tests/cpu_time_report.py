"""Opt-in pytest plugin: the CPU seconds each test costs, its own process's
and its child processes' (forked tools, fresh interpreters, torchrun and its
ranks), summed per test file after the run, most expensive first. On two
cores the suite is CPU-bound, so this, not wall time per test, shows where
its time goes. Works with pytest-xdist (the workers measure, the controller
tabulates)::

    python -m pytest tests -p tests.cpu_time_report
"""
import resource
from collections import defaultdict
from typing import Tuple

import pytest

#: Name of the (own, children) CPU seconds in a test's teardown report.
PROPERTY = 'cpu_seconds'
_START = pytest.StashKey[Tuple[float, float]]()


def _cpu_seconds() -> Tuple[float, float]:
    """User + system CPU seconds of this process and of its finished
    children (those waited for, with their own waited-for children)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # From the start of set-up (fixtures included) to the end of teardown.
    if call.when == 'setup':
        item.stash[_START] = _cpu_seconds()
    outcome = yield
    if call.when == 'teardown' and _START in item.stash:
        spent = tuple(
            now - start
            for now, start in zip(_cpu_seconds(), item.stash[_START]))
        outcome.get_result().user_properties.append((PROPERTY, spent))


def pytest_terminal_summary(terminalreporter):
    per_file = defaultdict(lambda: [0.0, 0.0, 0])
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, 'user_properties', ()):
                if name == PROPERTY:
                    totals = per_file[report.nodeid.split('::')[0]]
                    totals[0] += value[0]
                    totals[1] += value[1]
                    totals[2] += 1
    if not per_file:
        return
    write = terminalreporter.write_line
    terminalreporter.write_sep('-', 'CPU seconds per test file')
    write(f'{"own":>8} {"children":>9} {"total":>8} {"tests":>6}  file')
    rows = sorted(per_file.items(), key=lambda row: -sum(row[1][:2]))
    for path, (own, children, count) in rows:
        write(f'{own:8.1f} {children:9.1f} {own + children:8.1f} {count:6d}'
              f'  {path}')
    own = sum(totals[0] for totals in per_file.values())
    children = sum(totals[1] for totals in per_file.values())
    write(f'{own:8.1f} {children:9.1f} {own + children:8.1f} '
          f'{sum(t[2] for t in per_file.values()):6d}  all')
