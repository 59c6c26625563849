"""Helpers of the offline evaluation tools (panoptic_quality.py,
semantic_iou.py): a progress line, peak memory and the settings of a process
that reads many images. The tools import ``mmseg_depict_light`` (numpy and
OpenCV only), never ``mmseg_depict``, whose import registers every model and
so imports torch, mmdet and mmseg."""
import resource
import sys
import time

from mmseg_depict_light.cpu_memory import retain_freed_cpu_memory


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
      (:func:`~mmseg_depict_light.cpu_memory.retain_freed_cpu_memory`)
      instead of handing every large array back to the kernel and faulting
      its pages in again on the next image (on 512x1024 maps that was a
      third of the time, all of it system time);
    * OpenCV, where a tool uses it, runs on one thread: the worker
      processes are the parallelism.

    The first silently does nothing where glibc is not the C library.
    """
    retain_freed_cpu_memory()
    if 'cv2' in sys.modules:
        sys.modules['cv2'].setNumThreads(1)
