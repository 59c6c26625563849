"""Load checkpoints with ``torch.load(weights_only=True)``.

mmengine 0.10.7 calls ``torch.load`` without ``weights_only``; under torch
>= 2.6 that means ``weights_only=True`` with torch's default allow-list, which
refuses the mmengine objects a Runner checkpoint holds. Instead of turning the
safety off, the local and HTTP loaders are replaced by ones that stay in
weights-only mode and allow exactly the extra types found in mmengine
checkpoints. Anything else is refused with the offending global named.
"""
import collections
import os.path as osp
import pickle
import pickletools
import zipfile
from typing import Callable, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.utils import mkdir_or_exist
from torch import _weights_only_unpickler as unpickler


def _numpy_globals() -> list:
    """numpy types that pickled arrays and scalars reference."""
    core = getattr(np, '_core', None) or np.core
    dtype_classes = [
        type(np.dtype(t))
        for t in ('bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16',
                  'uint32', 'uint64', 'float16', 'float32', 'float64')
    ]
    return [
        core.multiarray._reconstruct, core.multiarray.scalar, np.ndarray,
        np.dtype, *dtype_classes
    ]


# Registered by every HistoryBuffer's __init__; custom ones are registered
# with HistoryBuffer.register_statistics.
_BUILTIN_STATISTICS = ('min', 'max', 'current', 'mean')


def history_buffer_statistic(owner, name: str):
    """Stand-in for ``builtins.getattr`` while unpickling.

    A pickled ``HistoryBuffer`` refers to its statistics methods
    (``HistoryBuffer.mean`` ...) as ``getattr(HistoryBuffer, 'mean')``. A
    general ``getattr`` would let a crafted pickle reach any attribute of any
    allowed object, so only that lookup is answered.
    """
    is_buffer = owner is HistoryBuffer or isinstance(owner, HistoryBuffer)
    if is_buffer and (name in _BUILTIN_STATISTICS
                      or name in HistoryBuffer._statistics_methods):
        return getattr(owner, name)
    raise pickle.UnpicklingError(
        f'builtins.getattr({owner!r}, {name!r}) is not allowed: only '
        'HistoryBuffer statistics methods may be looked up')


#: Types a checkpoint written by mmengine's Runner holds beyond torch's own
#: defaults: the message hub's history buffers (with their statistics
#: methods), numpy arrays / scalars / dtypes inside them and ``meta``, and
#: ordered dicts of older state dicts.
MMENGINE_CHECKPOINT_GLOBALS: List[Union[Callable, Tuple[Callable, str]]] = [
    HistoryBuffer,
    (history_buffer_statistic, 'builtins.getattr'),
    collections.OrderedDict,
    *_numpy_globals(),
]


class UnsafeCheckpointError(RuntimeError):
    """Raised when a checkpoint references a global outside the allow-list."""


def safe_torch_load(f, map_location=None):
    """``torch.load`` in weights-only mode with the mmengine allow-list.

    Args:
        f (str | file-like): Checkpoint path or open binary file.
        map_location: As for :func:`torch.load`.

    Returns:
        The loaded object (usually a dict).

    Raises:
        UnsafeCheckpointError: If the pickle needs any global that is not
            allowed; the message names it. Nothing from the file runs.
    """
    with torch.serialization.safe_globals(MMENGINE_CHECKPOINT_GLOBALS):
        try:
            return torch.load(f, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as err:
            reason = ', '.join(
                _offending_globals(f)) or _weights_only_reason(err)
    name = f if isinstance(f, str) else getattr(f, 'name', '<stream>')
    raise UnsafeCheckpointError(
        f"refusing to load checkpoint '{name}': it needs {reason}, which is "
        'not among the types mmengine checkpoints hold (tensors, containers, '
        'numpy arrays, HistoryBuffer). Loading it could run arbitrary code.')


def _weights_only_reason(err: Exception) -> str:
    """The unpickler's own complaint, without torch's generic advice."""
    text = str(err)
    marker = 'WeightsUnpickler error:'
    if marker in text:
        text = text.split(marker, 1)[1]
    return next((line.strip() for line in text.splitlines() if line.strip()),
                str(err))


def _offending_globals(f) -> List[str]:
    """Globals the pickle in ``f`` imports that the allow-list lacks.

    Scans the opcodes without executing anything; covers zip checkpoints
    (``torch.save``) and plain pickles, whose protocol-4 ``STACK_GLOBAL``
    torch's unpickler rejects without naming the global.
    """
    if not isinstance(f, str):
        return []
    try:
        if zipfile.is_zipfile(f):
            with zipfile.ZipFile(f) as archive:
                data = archive.read(
                    next(n for n in archive.namelist()
                         if n.endswith('data.pkl')))
        else:
            with open(f, 'rb') as stream:
                data = stream.read()
    except (OSError, StopIteration, zipfile.BadZipFile):
        return []
    with torch.serialization.safe_globals(MMENGINE_CHECKPOINT_GLOBALS):
        allowed = set(unpickler._get_allowed_globals()) | set(
            unpickler._get_user_allowed_globals())
    found, strings = [], []
    try:
        for opcode, arg, _ in pickletools.genops(data):
            if opcode.name == 'GLOBAL':
                found.append(arg.replace(' ', '.'))
            elif opcode.name == 'STACK_GLOBAL' and len(strings) >= 2:
                found.append(f'{strings[-2]}.{strings[-1]}')
            elif isinstance(arg, str):
                strings.append(arg)
    # a truncated or legacy multi-pickle file: keep what was read
    except Exception:
        pass
    # Protocol 2 spells the builtins module the Python 2 way.
    found = {name.replace('__builtin__.', 'builtins.', 1) for name in found}
    return sorted(found - allowed)


def load_from_local(filename: str,
                    map_location: Optional[Union[str, Callable]] = None):
    """Local checkpoint loader of mmengine, in weights-only mode (put in
    place by :mod:`mmseg_depict.upstream_patches`)."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file {filename} does not exist')
    return safe_torch_load(filename, map_location=map_location)


def load_from_http(filename: str,
                   map_location: Optional[Union[str, Callable]] = None,
                   model_dir: Optional[str] = None,
                   progress: bool = True):
    """HTTP(S) checkpoint loader: cached download, then weights-only load."""
    from torch.hub import download_url_to_file, get_dir
    model_dir = model_dir or osp.join(get_dir(), 'checkpoints')
    mkdir_or_exist(model_dir)
    cached = osp.join(model_dir, osp.basename(filename.split('?')[0]))
    if not osp.exists(cached):
        download_url_to_file(filename, cached, progress=progress)
    return safe_torch_load(cached, map_location=map_location)
