"""``retain_freed_cpu_memory`` (the offline evaluation tools, and
``benchmark_speedups.py --retain-freed-memory``): glibc's default allocator
page-faults large tensors anew on every allocation; the setting makes it
reuse them.

Each check runs in a fresh interpreter: the setting is process-wide and
permanent.
"""
import json
import os.path as osp
import platform
import subprocess
import sys

import pytest

from tests.common import ROOT

# Loaded by path, alone: the package's __init__ (mmseg, mmdet) is not needed.
MODULE = osp.join(ROOT, 'mmseg_depict_light', 'cpu_memory.py')


def huge_pages_always() -> bool:
    try:
        with open('/sys/kernel/mm/transparent_hugepage/enabled') as f:
            return '[always]' in f.read()
    except OSError:
        return False


pytestmark = [
    pytest.mark.skipif(
        platform.system() != 'Linux' or platform.libc_ver()[0] != 'glibc',
        reason='glibc malloc only'),
    # The counts below are of 4 KiB pages; with transparent huge pages
    # always on, one fault maps 2 MiB.
    pytest.mark.skipif(
        huge_pages_always(), reason='transparent huge pages set to always'),
]

# Minor page faults of the last 20 of 30 rounds allocating, writing and
# freeing 64 MiB tensors (above glibc's largest default mmap threshold).
# With memory retained the heap takes up to ~6 rounds to settle (more when
# the machine is busy) and later faults anew now and then (at most one round
# in twenty in our runs, with another process loading the machine).
PROBE = """
import importlib.util, json, resource, sys
import torch
spec = importlib.util.spec_from_file_location('cpu_memory', sys.argv[2])
cpu_memory = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cpu_memory)
applied = cpu_memory.retain_freed_cpu_memory() if sys.argv[1] == 'retain' \
    else None
faults = []
for _ in range(30):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    x = torch.empty(16 * 2**20).fill_(1.0)
    y = x * 2
    del x, y
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(json.dumps(dict(applied=applied, faults=faults[10:])))
"""


def probe(mode: str) -> dict:
    out = subprocess.run([sys.executable, '-c', PROBE, mode, MODULE],
                         check=True,
                         capture_output=True,
                         text=True).stdout
    return json.loads(out.splitlines()[-1])


def test_default_glibc_faults_large_tensors_every_time():
    # glibc's default, what the setting turns off: 2 x 64 MiB of fresh
    # pages per round.
    result = probe('default')
    pages = 2 * 64 * 2**20 // 4096
    assert all(f >= pages // 2 for f in result['faults']), result


def test_retained_memory_is_reused_without_faults():
    result = probe('retain')
    assert result['applied'] is True
    # The default faults in every round (the test above).
    assert sum(f < 100 for f in result['faults']) >= 15, result
