"""FLOP counting with mmengine's analyzer, plus the fused attention kernel
it does not know (``scaled_dot_product_attention``)."""
from math import prod
from typing import Any, List, Tuple

import torch.nn as nn
from mmengine.analysis import FlopAnalyzer
from mmengine.analysis.jit_handles import get_shape


def sdpa_flop_jit(inputs: List[Any], outputs: List[Any]) -> int:
    """Multiply-adds of ``softmax(Q K^T) V``: (..., Lq, E) x (..., Lk, E)
    then (..., Lq, Lk) x (..., Lk, Ev)."""
    q, k, v = (get_shape(inputs[i]) for i in range(3))
    batch, (queries, width), keys = prod(q[:-2]), q[-2:], k[-2]
    return batch * queries * keys * (width + v[-1])


def flop_analyzer(model: nn.Module, inputs: Tuple) -> FlopAnalyzer:
    """mmengine's FlopAnalyzer for ``model(*inputs)`` that also counts fused
    attention; ``.total()`` and ``.by_module()`` give multiply-adds (fvcore
    convention; papers quote FLOPs = 2 x this)."""
    analyzer = FlopAnalyzer(model, inputs)
    analyzer.set_op_handle(
        **{'aten::scaled_dot_product_attention': sdpa_flop_jit})
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return analyzer


def count_multiply_adds(model: nn.Module, inputs: Tuple) -> int:
    """Total multiply-adds of ``model(*inputs)``.

    Args:
        model (nn.Module): Module to trace.
        inputs (tuple): Positional inputs of its forward.

    Returns:
        int: Multiply-add count.
    """
    return flop_analyzer(model, inputs).total()
