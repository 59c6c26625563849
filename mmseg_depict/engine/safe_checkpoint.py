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
from typing import Callable, List, Optional, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader
from mmengine.utils import mkdir_or_exist


def _numpy_globals() -> list:
    """numpy types that pickled arrays and scalars reference."""
    core = getattr(np, '_core', None) or np.core
    dtype_classes = [
        type(np.dtype(t)) for t in ('bool', 'int8', 'int16', 'int32',
                                    'int64', 'uint8', 'uint16', 'uint32',
                                    'uint64', 'float16', 'float32', 'float64')
    ]
    return [
        core.multiarray._reconstruct, core.multiarray.scalar, np.ndarray,
        np.dtype, *dtype_classes
    ]


#: Types a checkpoint written by mmengine's Runner holds beyond torch's own
#: defaults: the message hub's history buffers, numpy arrays / scalars /
#: dtypes inside them and ``meta``, and ordered dicts of older state dicts.
MMENGINE_CHECKPOINT_GLOBALS: List[Callable] = [
    HistoryBuffer,
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
        except Exception as err:  # torch raises UnpicklingError subclasses
            if 'Unsupported global' not in str(err) and \
                    'not an allowed global' not in str(err):
                raise
            offending = _offending_globals(f) or [str(err).splitlines()[0]]
            name = f if isinstance(f, str) else getattr(f, 'name', '<stream>')
            raise UnsafeCheckpointError(
                f"refusing to load checkpoint '{name}': it references "
                f"{', '.join(offending)}, which is not among the types "
                'mmengine checkpoints hold (tensors, containers, numpy '
                'arrays, HistoryBuffer). Loading it could run arbitrary '
                'code.') from None


def _offending_globals(f) -> List[str]:
    if not isinstance(f, str):
        return []
    try:
        return list(torch.serialization.get_unsafe_globals_in_checkpoint(f))
    except Exception:  # not a zip checkpoint: keep torch's message
        return []


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_from_local(filename: str,
                    map_location: Optional[Union[str, Callable]] = None):
    """Local checkpoint loader of mmengine, in weights-only mode."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file {filename} does not exist')
    return safe_torch_load(filename, map_location=map_location)


@CheckpointLoader.register_scheme(
    prefixes=('http://', 'https://'), force=True)
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
