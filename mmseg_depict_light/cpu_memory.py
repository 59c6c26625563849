"""Keep freed CPU memory in the process for reuse (glibc's ``mallopt``).

By default glibc serves a block above its mmap threshold (at most 32 MiB,
moved by the sizes freed) with a fresh ``mmap`` and returns it to the system
when freed, and trims the heap's free top beyond twice that threshold: large
arrays and tensors are page-faulted and zeroed by the kernel anew on every
use. :func:`retain_freed_cpu_memory` raises both thresholds to 1 GiB.

Used by the offline evaluation tools (thousands of images read one after the
other) and by ``benchmark_speedups.py --retain-freed-memory`` (measured for
the models, not adopted by the train / test tools: docs/benchmarks.md). It
changes the whole process for good, so nothing calls it on import. Only the
standard library is imported here: the offline tools load this module
without torch.
"""
import ctypes
import ctypes.util
import platform

#: ``mallopt`` parameters (glibc's malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
THRESHOLD_BYTES = 1 << 30


def retain_freed_cpu_memory() -> bool:
    """Make glibc keep freed blocks of up to 1 GiB for reuse, for the rest
    of this process.

    Returns:
        bool: True when applied; False where the C library is not glibc or
        refused a setting (nothing, or only the mmap threshold, changed).
    """
    if platform.system() != 'Linux' or platform.libc_ver()[0] != 'glibc':
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
    except OSError:
        return False
    return all(
        libc.mallopt(param, THRESHOLD_BYTES) == 1
        for param in (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD))
