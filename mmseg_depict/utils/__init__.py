from .complexity import count_multiply_adds, sdpa_flop_jit

__all__ = ['count_multiply_adds', 'sdpa_flop_jit']
