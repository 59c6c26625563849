"""``--resume`` without a path: the newest checkpoint that loads.

mmengine 0.10.7's auto-resume reads ``<work_dir>/last_checkpoint`` and stops
with ``FileNotFoundError`` when it names a deleted file (a save that failed
after the old checkpoint was removed), and resumes a truncated file into a
crash. Here the candidates are tried newest first: the file
``last_checkpoint`` names, then ``iter_<N>.pth`` / ``epoch_<N>.pth`` by
``N`` (a leftover temporary ``.part`` never matches); the first that loads
(weights-only) as a Runner checkpoint is taken, and every one skipped is
named with the reason.
"""
import logging
import os
import os.path as osp
import re
from typing import List, Optional, Tuple

from mmengine.logging import print_log

from ..fileio.safe_checkpoint import safe_torch_load

CHECKPOINT_NAME = re.compile(r'^(iter|epoch)_(\d+)\.pth$')


def _numbered_checkpoints(folder: str) -> List[Tuple[int, str]]:
    if not osp.isdir(folder):
        return []
    found = []
    for name in os.listdir(folder):
        match = CHECKPOINT_NAME.match(name)
        if match:
            found.append((int(match.group(2)), osp.join(folder, name)))
    return found


def _unloadable_reason(path: str) -> Optional[str]:
    """Why ``path`` cannot be resumed from, or None if it can."""
    if not osp.isfile(path):
        return 'missing'
    try:
        checkpoint = safe_torch_load(path, map_location='cpu')
    except Exception as err:  # truncated zip, bad pickle, unsafe globals
        return f'does not load ({type(err).__name__}: {err})'.splitlines()[0]
    if not isinstance(checkpoint, dict) or 'state_dict' not in checkpoint \
            or 'meta' not in checkpoint:
        return 'not a Runner checkpoint (no state_dict / meta)'
    return None


def _warn(message: str) -> None:
    print_log(message, logger='current', level=logging.WARNING)


def newest_loadable_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` continues from, or None to start afresh.

    Args:
        work_dir (str): The run's work dir (holds ``last_checkpoint``).

    Returns:
        str | None: Path of the newest checkpoint that loads.
    """
    candidates = []
    record = osp.join(work_dir, 'last_checkpoint')
    folders = [work_dir]
    if osp.isfile(record):
        with open(record) as f:
            named = f.read().strip()
        if named:
            candidates.append(named)
            folders.append(osp.dirname(named))
    numbered = set()
    for folder in folders:
        numbered.update(_numbered_checkpoints(folder))
    candidates += [path for _, path in sorted(numbered, reverse=True)]
    skipped, seen = [], set()
    for path in candidates:
        key = osp.realpath(path)
        if key in seen:
            continue
        seen.add(key)
        reason = _unloadable_reason(path)
        if reason is None:
            if skipped:
                _warn(f'--resume: continuing from {path}; skipped ' +
                      '; '.join(f'{p}: {r}' for p, r in skipped))
            return path
        skipped.append((path, reason))
    if skipped:
        _warn('--resume: no checkpoint in the work dir loads, training '
              'starts from the beginning; skipped ' +
              '; '.join(f'{p}: {r}' for p, r in skipped))
    return None
