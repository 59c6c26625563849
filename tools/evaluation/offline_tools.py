"""Helpers of the offline evaluation tools (panoptic_quality.py,
semantic_iou.py): importing their numpy-only modules of mmseg_depict without
the package's ``__init__`` files (which register every model and so import
torch, mmdet and mmseg: seconds before a file is read), a progress line and
peak memory. Nothing in the package may use this."""
import glob
import importlib
import os.path as osp
import resource
import sys
import time
import types

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PACKAGE = 'mmseg_depict'


def import_light(name: str) -> types.ModuleType:
    """``import_light('mmseg_depict.evaluation.panoptic_folders')``.

    Every package of mmseg_depict not yet imported is replaced by an empty
    placeholder, so the module and its relative imports load alone. The
    placeholders stay for the life of the process (worker processes unpickle
    results by module name, which must not run the real package), so a tool
    that calls this cannot use the rest of mmseg_depict.
    """
    for init in glob.glob(
            osp.join(ROOT, PACKAGE, '**', '__init__.py'), recursive=True):
        folder = osp.dirname(init)
        package = osp.relpath(folder, ROOT).replace(osp.sep, '.')
        if package not in sys.modules:
            stub = types.ModuleType(package)
            stub.__path__ = [folder]
            sys.modules[package] = stub
    return importlib.import_module(name)


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory in MB (``ru_maxrss`` is in KB on Linux);
    ``RUSAGE_CHILDREN``: the largest finished worker."""
    return resource.getrusage(who).ru_maxrss / 1024


def peak_memory_line() -> str:
    return (f'peak memory: {peak_rss_mb():.0f} MB (this process), '
            f'{peak_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB (largest worker)')


class Progress:
    """``done / total`` on stderr, at most every half second."""

    def __init__(self, total: int) -> None:
        self.total, self.last = total, 0.0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if done == self.total or now - self.last >= 0.5:
            self.last = now
            end = '\n' if done == self.total else ''
            print(
                f'\r{done}/{self.total} images',
                end=end,
                file=sys.stderr,
                flush=True)


def tune_for_many_images() -> None:
    """Settings for a process that reads thousands of images one after the
    other, each in a few arrays of megabytes:

    * glibc's malloc keeps freed memory for reuse
      (:func:`mmseg_depict.utils.cpu_memory.retain_freed_cpu_memory`)
      instead of handing every large array back to the kernel and faulting
      its pages in again on the next image (on 512x1024 maps that was a
      third of the time, all of it system time);
    * OpenCV, where a tool uses it, runs on one thread: the worker
      processes are the parallelism.

    The first silently does nothing where glibc is not the C library.
    """
    import_light('mmseg_depict.utils.cpu_memory').retain_freed_cpu_memory()
    if 'cv2' in sys.modules:
        sys.modules['cv2'].setNumThreads(1)
