from .forward_compile import compile_forward, take_compile_option
from .hooks import FiniteLossHook, ResumeRandomStateHook, SafeCheckpointHook
from .resume import newest_loadable_checkpoint

__all__ = [
    'FiniteLossHook', 'ResumeRandomStateHook', 'SafeCheckpointHook',
    'newest_loadable_checkpoint', 'compile_forward', 'take_compile_option'
]
