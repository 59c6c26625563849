from .atomic_local_backend import AtomicLocalBackend
from .safe_checkpoint import (MMENGINE_CHECKPOINT_GLOBALS,
                              UnsafeCheckpointError, safe_torch_load)

__all__ = [
    'AtomicLocalBackend', 'MMENGINE_CHECKPOINT_GLOBALS',
    'UnsafeCheckpointError', 'safe_torch_load'
]
