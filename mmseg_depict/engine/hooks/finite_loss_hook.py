import math
from typing import Dict, Tuple

import torch
import torch.distributed as torch_dist
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS
from torch import Tensor


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Stop training when a loss becomes inf or NaN, before the step.

    mmengine 0.10.7 trains on through a NaN loss: it logs ``nan``, steps the
    optimizer with NaN gradients and saves the broken weights over the good
    ones. This hook checks the parsed losses of every iteration inside the
    model's ``parse_losses`` (which mmengine's ``train_step`` calls between
    the forward and ``optim_wrapper.update_params``, with and without DDP),
    so it raises before the parameters are updated and before any hook
    could save the broken state. The error names the iteration (as the log
    counts it) and every loss term that is not finite.

    Distributed runs agree on the verdict through one all-reduce of a flag
    per iteration, so every rank stops at the same iteration rather than
    one rank stopping and the others hanging in DDP's gradient all-reduce.
    Under ``--amp`` fp16 the loss scaler's skipped steps (inf *gradients*)
    are left to the scaler: only the loss itself is checked.

    Args:
        enabled (bool): False leaves mmengine's behaviour (train on). In a
            config: ``default_hooks.finite_loss.enabled=False`` (mmengine
            only lets its own default hooks be set to None).
    """

    priority = 'VERY_HIGH'

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def before_train(self, runner) -> None:
        if not self.enabled:
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        upstream = model.parse_losses

        def checked_parse_losses(
                losses: Dict[str, Tensor]) -> Tuple[Tensor, Dict[str, Tensor]]:
            parsed, log_vars = upstream(losses)
            self._check(runner, parsed, log_vars)
            return parsed, log_vars

        # On the instance: the class (and other models) stay untouched.
        model.parse_losses = checked_parse_losses

    def _check(self, runner, parsed: Tensor, log_vars: dict) -> None:
        bad = not bool(torch.isfinite(parsed.detach()).all())
        if get_world_size() > 1:
            flag = torch.tensor(float(bad), device=parsed.device)
            torch_dist.all_reduce(flag)
            bad = flag.item() > 0
        if not bad:
            return
        # The terms, not their sum ('loss', which parse_losses puts first).
        terms = {
            key: value
            for key, value in log_vars.items() if 'loss' in key
            and key != 'loss' and not math.isfinite(float(value))
        }
        where = ', '.join(f'{k}={v}' for k, v in terms.items()) or (
            'not on this rank (another rank\'s loss)')
        raise FloatingPointError(
            f'Loss became infinite or NaN at iteration {runner.iter + 1}: '
            f'{where}. Training stopped before this step changed the '
            'weights; the checkpoints saved so far are intact.')
