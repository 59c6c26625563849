"""File I/O policy: all-or-nothing writes and weights-only checkpoint
loading, put in place of mmengine's by
:mod:`mmseg_depict.upstream_patches`."""
from .atomic_local_backend import AtomicLocalBackend, publish, write_image
from .safe_checkpoint import (MMENGINE_CHECKPOINT_GLOBALS,
                              UnsafeCheckpointError, safe_torch_load)

__all__ = [
    'AtomicLocalBackend', 'MMENGINE_CHECKPOINT_GLOBALS',
    'UnsafeCheckpointError', 'publish', 'safe_torch_load', 'write_image'
]
