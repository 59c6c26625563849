"""Decode every image and label a config will read, before training starts.

``check_config_data`` checks that the files exist; a file that exists but
is cut short or corrupt (an interrupted copy, a bad sector) is found only
when a data-loader worker reaches it, possibly hours into a run. This check
decodes each file as the pipelines' loaders do (images with mmcv's default
cv2 backend, labels with Pillow as mmseg's ``LoadAnnotations``) in
parallel processes and names every file that fails:

* unreadable (permissions, I/O errors) or empty;
* not decodable, truncated ones included (OpenCV and Pillow refuse a cut
  JPEG or PNG when decoding from bytes, as the loaders do);
* a label whose size differs from its image's.
"""
import os
from typing import List, Optional, Sequence, Tuple

import mmcv
import numpy as np
from mmengine.utils import track_parallel_progress


def _decode(path: str, flag: str,
            backend: str) -> Tuple[Optional[tuple], Optional[str]]:
    """(height, width) of the decoded file, or the reason it failed."""
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as error:
        return None, f'cannot be read ({error.strerror})'
    if not data:
        return None, 'is empty'
    try:
        array = mmcv.imfrombytes(data, flag=flag, backend=backend)
    except Exception as error:  # Pillow raises its own kinds
        return None, f'cannot be decoded ({error})'
    if not isinstance(array, np.ndarray) or array.size == 0:
        return None, 'cannot be decoded'
    return array.shape[:2], None


def check_sample(sample: Tuple[str, Optional[str]]) -> List[str]:
    """Problems of one (image, label) pair, each naming its file."""
    image, label = sample
    problems = []
    image_size, reason = _decode(image, 'color', 'cv2')
    if reason:
        problems.append(f"image '{image}' {reason}")
    if label:
        label_size, reason = _decode(label, 'unchanged', 'pillow')
        if reason:
            problems.append(f"label '{label}' {reason}")
        elif image_size and label_size != image_size:
            problems.append(
                f"label '{label}' is {label_size[1]}x{label_size[0]}, its "
                f"image '{image}' {image_size[1]}x{image_size[0]}")
    return problems


def find_bad_files(samples: Sequence[Tuple[str, Optional[str]]],
                   nproc: Optional[int] = None) -> List[str]:
    """Decode every (image, label) pair in ``nproc`` processes, with
    mmengine's progress bar.

    Args:
        samples (Sequence[tuple]): (image path, label path or None).
        nproc (int, optional): Processes; default: the CPUs this process
            may use.

    Returns:
        list[str]: One line per problem, in ``samples`` order.
    """
    if not samples:
        return []
    nproc = nproc or len(os.sched_getaffinity(0))
    found = track_parallel_progress(
        check_sample,
        list(samples),
        nproc,
        chunksize=max(1, min(64, len(samples) // (8 * nproc))))
    return [line for problems in found for line in problems]
