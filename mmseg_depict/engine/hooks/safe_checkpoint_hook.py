from collections import deque

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` that writes a checkpoint before it
    deletes the old ones.

    mmengine 0.10.7's ``_save_checkpoint_with_step`` removes the oldest kept
    checkpoint *before* writing the new one, and ``_save_best_checkpoint``
    removes the previous best before writing the next. A save that fails
    (full disk, the job killed while writing) then leaves one checkpoint
    fewer than ``max_keep_ckpts`` (with ``max_keep_ckpts=1``: none at all)
    and a ``last_checkpoint`` naming a deleted file.

    Here the upstream code runs with one more slot, so it deletes nothing;
    once the new checkpoint and ``last_checkpoint`` are written, the
    checkpoints beyond ``max_keep_ckpts`` (and a replaced best checkpoint)
    are removed. If the save raises, nothing is removed and the hook's
    state is what it was. Arguments are ``CheckpointHook``'s. Registered in
    mmengine's root registry, so both mmseg's and mmdet's runners find it.
    """

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        """Write the checkpoint of ``step``, then drop the surplus."""
        if self.max_keep_ckpts <= 0:
            return super()._save_checkpoint_with_step(runner, step, meta)
        asked = self.max_keep_ckpts
        kept = list(self.keep_ckpt_ids)
        last_ckpt = self.last_ckpt
        hub = runner.message_hub
        previous_hub_last = hub.runtime_info.get('last_ckpt')
        self.max_keep_ckpts = asked + 1
        self.keep_ckpt_ids = deque(kept, asked + 1)
        try:
            super()._save_checkpoint_with_step(runner, step, meta)
        except BaseException:
            self.keep_ckpt_ids = deque(kept, asked)
            self.last_ckpt = last_ckpt
            hub.update_info('keep_ckpt_ids', kept)
            if previous_hub_last is not None:
                hub.update_info('last_ckpt', previous_hub_last)
            raise
        finally:
            self.max_keep_ckpts = asked
        surplus = []
        while len(self.keep_ckpt_ids) > asked:
            surplus.append(self.keep_ckpt_ids.popleft())
        self.keep_ckpt_ids = deque(self.keep_ckpt_ids, asked)
        hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        for old_step in surplus:
            self._remove(
                self.file_backend.join_path(
                    self.out_dir, self.filename_tmpl.format(old_step)))

    def _save_best_checkpoint(self, runner, metrics) -> None:
        """Write a new best checkpoint, then remove the one it replaces."""
        if not self.save_best:
            return
        previous = self._best_paths()
        # Hidden from the upstream code, which would delete them first.
        self._set_best_paths({key: None for key in previous})
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            now = self._best_paths()
            self._set_best_paths({
                key:
                now[key] if now[key] is not None else previous[key]
                for key in previous
            })
        current = set(self._best_paths().values())
        for path in previous.values():
            if path and path not in current:
                self._remove(path)
                runner.logger.info(
                    f'The previous best checkpoint {path} is removed')

    def _best_paths(self) -> dict:
        """Key indicator -> path of its best checkpoint (or None); one
        indicator (possibly still ``'auto'``) under the key ``''``."""
        if len(self.key_indicators) == 1:
            return {'': self.best_ckpt_path}
        return dict(self.best_ckpt_path_dict)

    def _set_best_paths(self, paths: dict) -> None:
        if len(self.key_indicators) == 1:
            self.best_ckpt_path, = paths.values()
        else:
            self.best_ckpt_path_dict.update(paths)

    def _remove(self, path: str) -> None:
        """Delete a checkpoint file (or a DeepSpeed checkpoint folder) on
        the main process."""
        if not is_main_process():
            return
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):
            self.file_backend.rmtree(path)
