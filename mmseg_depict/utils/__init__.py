from .complexity import count_multiply_adds, flop_analyzer, sdpa_flop_jit

__all__ = ['count_multiply_adds', 'flop_analyzer', 'sdpa_flop_jit']
