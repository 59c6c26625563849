import random
from typing import Callable, Iterator, Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import CheckpointHook, Hook
from mmengine.registry import HOOKS


def capture_random_state() -> dict:
    """The random generators a training step draws from: Python's, numpy's,
    torch's CPU one and every CUDA device's."""
    state = dict(
        python=random.getstate(),
        numpy=np.random.get_state(),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def _checkpoint_due(runner, by_epoch: bool) -> bool:
    """Whether the Runner's checkpoint hook saves after this iteration
    (``by_epoch=False``) or epoch (``True``)."""
    for hook in runner.hooks:
        if not isinstance(hook, CheckpointHook) or hook.by_epoch != by_epoch:
            continue
        if by_epoch:
            return hook.every_n_epochs(
                runner, hook.interval,
                hook.save_begin) or (hook.save_last
                                     and hook.is_last_train_epoch(runner))
        return hook.every_n_train_iters(
            runner, hook.interval,
            hook.save_begin) or (hook.save_last
                                 and hook.is_last_train_iter(runner))
    return False


def restore_random_state(state: dict) -> None:
    """Put back what :func:`capture_random_state` took."""
    random.setstate(state['python'])
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


class _RestoreBeforeNext:
    """Pass-through iterator that calls ``restore`` once, after ``skip``
    batches were drawn and before the next one."""

    def __init__(self, iterator: Iterator, skip: int,
                 restore: Callable[[], None]) -> None:
        self._iterator = iterator
        self._remaining = skip
        self._restore: Optional[Callable[[], None]] = restore

    def __iter__(self):
        return self

    def __next__(self):
        if self._remaining == 0 and self._restore is not None:
            self._restore()
            self._restore = None
        batch = next(self._iterator)
        self._remaining -= 1
        return batch

    def __getattr__(self, name):
        return getattr(self._iterator, name)


@HOOKS.register_module()
class ResumeRandomStateHook(Hook):
    """Make ``--resume`` continue with the random state the run had.

    mmengine 0.10.7 saves no random state in checkpoints: a resumed run
    re-seeds and then replays the skipped batches through the data
    pipeline, so from the first resumed iteration its crops, flips, dropout
    and drop-path draws differ from the uninterrupted run's (on the quick
    start's DEPICT ViT-T, 2 + 4 iterations against 6: weights apart by
    3.7e-4). This hook stores Python's, numpy's and torch's generator
    states in every checkpoint (``checkpoint['random_state']``) and, on
    resume, puts them back right before the first batch after the skipped
    ones (iteration-based loops) or before the first resumed epoch. The
    validation loop runs with its own copy of the state, so validating
    (which the resumed run did not do at that point) draws nothing from the
    training's generators. With data-loader workers, the replayed batches
    bring the workers' generators to the same state as well.

    In a distributed run every rank's state is stored
    (``checkpoint['random_state_of_ranks']``, gathered from all ranks
    before the checkpoint hook saves, since only rank 0 writes) and each
    rank resumes with its own: the ranks' generators drift apart whenever
    they draw different amounts (data-dependent transforms in the main
    process, such as ``RandomCrop``'s ``cat_max_ratio`` retries), and rank
    0's state on every rank made such a resume differ from the
    uninterrupted run (``tests/test_distributed.py``).
    """

    # Before the checkpoint hook (VERY_LOW): the gather must precede a save.
    priority = 'LOW'

    def __init__(self) -> None:
        self._loaded: Optional[dict] = None
        self._before_val: Optional[dict] = None
        self._of_ranks: Optional[list] = None  # training's, at a save
        self._of_ranks_before_val: Optional[list] = None

    @staticmethod
    def _gather(state: dict) -> Optional[list]:
        return all_gather_object(state) if get_world_size() > 1 else None

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        if get_world_size() > 1 and _checkpoint_due(runner, by_epoch=False):
            self._of_ranks = self._gather(capture_random_state())

    def after_train_epoch(self, runner) -> None:
        if get_world_size() > 1 and _checkpoint_due(runner, by_epoch=True):
            self._of_ranks = self._gather(capture_random_state())

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        # Saves during validation (a new best, and the checkpoint hook's
        # re-save after it) store the training's state, not the val loop's.
        during_val = self._before_val is not None
        checkpoint['random_state'] = self._before_val or \
            capture_random_state()
        of_ranks = self._of_ranks_before_val if during_val else \
            self._of_ranks
        if of_ranks is not None:
            checkpoint['random_state_of_ranks'] = of_ranks

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        of_ranks = checkpoint.get('random_state_of_ranks')
        if of_ranks is not None and len(of_ranks) == get_world_size():
            self._loaded = of_ranks[get_rank()]
        else:  # one process, or resumed on another number of ranks
            self._loaded = checkpoint.get('random_state')

    def before_train_epoch(self, runner) -> None:
        state, self._loaded = self._loaded, None
        loop = runner.train_loop
        if state is None or (loop.iter == 0 and loop.epoch == 0):
            return  # a fresh run, or weights loaded without --resume
        if hasattr(loop, 'dataloader_iterator'):  # IterBasedTrainLoop
            loop.dataloader_iterator = _RestoreBeforeNext(
                loop.dataloader_iterator, loop.iter,
                lambda: restore_random_state(state))
        else:
            restore_random_state(state)

    def before_val(self, runner) -> None:
        self._before_val = capture_random_state()
        self._of_ranks_before_val = self._gather(self._before_val)

    def after_val(self, runner) -> None:
        if self._before_val is not None:
            restore_random_state(self._before_val)
            self._before_val = None
            self._of_ranks_before_val = None
