"""Keep freed CPU memory in the process for reuse (glibc's ``mallopt``).

PyTorch's CPU tensors come from the C library's ``malloc``. glibc serves a
block above its mmap threshold (at most 32 MiB, moved by the sizes freed)
with a fresh ``mmap`` and returns it to the system when freed, and trims the
heap's free top beyond twice that threshold: such tensors are page-faulted
(and zeroed by the kernel) anew on every use. Sliding windows in batches
cross the threshold with their activations, so on a CPU batching windows
paid less than it cost in page faults (``benchmark_speedups.py --parts
slide`` counts them; docs/benchmarks.md).

:func:`retain_freed_cpu_memory` raises both thresholds, so freed blocks stay
in the heap and are reused: no page faults after the first call, at the cost
of a higher resident set (the heap no longer shrinks). It changes the whole
process's allocator and cannot be undone, so nothing calls it on import: the
``--retain-freed-memory`` flag of ``tools/train.py``, ``tools/test.py``, the
demos and the benchmark does. (``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` in the environment, or preloading jemalloc /
tcmalloc, do the same for any process.)
"""
import argparse
import ctypes
import ctypes.util
import logging
import platform

from mmengine.logging import print_log

#: ``mallopt`` parameters (glibc's malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: Blocks up to this size come from the heap (the rest: ``mmap``, as before).
MMAP_THRESHOLD_BYTES = 1 << 30
#: Free memory at the heap's top is kept up to this size.
TRIM_THRESHOLD_BYTES = (1 << 31) - 1


def retain_freed_cpu_memory() -> bool:
    """Make glibc keep freed blocks (up to 1 GiB each) for reuse.

    Returns:
        bool: True when applied; False where the C library is not glibc
        (nothing changed then).

    Raises:
        RuntimeError: glibc refused a setting.
    """
    if platform.system() != 'Linux' or platform.libc_ver()[0] != 'glibc':
        return False
    libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
    for name, param, value in (
        ('M_MMAP_THRESHOLD', M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES),
        ('M_TRIM_THRESHOLD', M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES),
    ):
        if libc.mallopt(param, value) != 1:
            raise RuntimeError(f'glibc mallopt({name}, {value}) failed '
                               f'(glibc {platform.libc_ver()[1]})')
    return True


def add_retain_freed_memory_argument(parser: argparse.ArgumentParser) -> None:
    """``--retain-freed-memory``, as the train / test tools and the demos
    take it; :func:`apply_retain_freed_memory_argument` acts on it."""
    parser.add_argument(
        '--retain-freed-memory',
        action='store_true',
        help='CPU runs: glibc keeps freed memory for reuse instead of '
        'returning it to the system (no page faults on every large tensor: '
        'faster, a higher resident set; mmseg_depict/utils/cpu_memory.py)')


def apply_retain_freed_memory_argument(args: argparse.Namespace) -> None:
    """Call :func:`retain_freed_cpu_memory` if ``--retain-freed-memory`` was
    given, and log the outcome. Call it before data loader workers are forked
    (they inherit the setting)."""
    if not args.retain_freed_memory:
        return
    if retain_freed_cpu_memory():
        print_log(
            '--retain-freed-memory: glibc keeps freed blocks of up to 1 GiB '
            'for reuse',
            logger='current')
    else:
        print_log(
            '--retain-freed-memory has no effect: the C library is not glibc',
            logger='current',
            level=logging.WARNING)
