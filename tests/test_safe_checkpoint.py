"""Runner checkpoints load in weights-only mode; anything that would run code
while unpickling is refused with the offending global named."""
import os
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from mmseg_depict.fileio import UnsafeCheckpointError
from .common import run_tool


def test_runner_checkpoint_loads_weights_only(trained):
    _, work_dir = trained['ade20k']
    ckpt = _load_checkpoint(osp.join(work_dir, 'iter_2.pth'))
    assert ckpt['meta']['iter'] == 2
    assert ckpt['meta']['dataset_meta']['classes'][0] == 'wall'
    buffer = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert np.isfinite(buffer.mean())
    assert torch.is_tensor(ckpt['state_dict']['decode_head.cls_emb'])
    # A checkpoint with optimizer state loads weights-only in test_resume.


class RunsCode:
    """Unpickling this object calls os.system."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


class ReachesAttribute:
    """Unpickling this object calls getattr(np.ndarray, 'tofile')."""

    def __reduce__(self):
        return getattr, (np.ndarray, 'tofile')


def test_malicious_pickle_is_refused_and_not_executed(tmp_path):
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'meta': RunsCode(marker)}, path)
    with pytest.raises(
            UnsafeCheckpointError, match=r'posix\.system|os\.system'):
        _load_checkpoint(path)
    assert not marker.exists()


def test_getattr_is_limited_to_history_buffer(tmp_path):
    path = str(tmp_path / 'evil_getattr.pth')
    torch.save({'meta': ReachesAttribute()}, path)
    with pytest.raises(UnsafeCheckpointError, match='tofile'):
        _load_checkpoint(path)


def test_tools_test_refuses_malicious_checkpoint(trained, tmp_path):
    config, _ = trained['ade20k']
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'evil.pth')
    with open(path, 'wb') as f:
        pickle.dump({'state_dict': RunsCode(marker)}, f)
    proc = run_tool(
        ['tools/test.py', config, path, '--work-dir',
         str(tmp_path / 'work')],
        check=False)
    assert proc.returncode != 0
    assert 'UnsafeCheckpointError' in proc.stderr
    assert 'system' in proc.stderr
    assert not marker.exists()


def test_interrupted_checkpoint_write_leaves_old_file_intact(
        tmp_path, monkeypatch):
    from mmengine.fileio import get_file_backend
    from mmengine.runner.checkpoint import save_checkpoint

    from mmseg_depict.fileio import AtomicLocalBackend
    path = str(tmp_path / 'iter_2.pth')
    assert isinstance(get_file_backend(path), AtomicLocalBackend)
    save_checkpoint({'state_dict': {'w': torch.ones(3)}}, path)

    def disk_full(fd):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(os, 'fsync', disk_full)
    with pytest.raises(OSError, match='No space'):
        save_checkpoint({'state_dict': {'w': torch.zeros(3)}}, path)
    assert sorted(os.listdir(tmp_path)) == ['iter_2.pth']
    torch.testing.assert_close(
        _load_checkpoint(path)['state_dict']['w'], torch.ones(3))


def test_checkpoint_write_flushes_to_disk(tmp_path, real_fsync):
    """The real fsync path (the suite skips it elsewhere): the bytes are
    flushed before the temporary file is renamed into place."""
    from mmengine.runner.checkpoint import save_checkpoint
    path = str(tmp_path / 'iter_1.pth')
    save_checkpoint({'state_dict': {'w': torch.ones(2)}}, path)
    assert len(real_fsync) == 1
    assert sorted(os.listdir(tmp_path)) == ['iter_1.pth']
    torch.testing.assert_close(
        _load_checkpoint(path)['state_dict']['w'], torch.ones(2))


def test_write_image_takes_either_colour_order(tmp_path):
    """An RGB array (a visualiser's, a COCO panoptic PNG's) and the same
    colours in OpenCV's BGR give the same file; a label map is written as
    it is; an unknown order is named."""
    import cv2

    from mmseg_depict.fileio.atomic_local_backend import write_image
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 0] = 200  # red
    rgb[1, 2] = (1, 2, 3)
    write_image(str(tmp_path / 'rgb.png'), rgb, channel_order='rgb')
    write_image(str(tmp_path / 'bgr.png'), rgb[..., ::-1].copy())
    for name in ('rgb.png', 'bgr.png'):
        read = cv2.imread(str(tmp_path / name))[..., ::-1]  # as RGB
        assert np.array_equal(read, rgb), name
    labels = np.arange(20, dtype=np.uint8).reshape(4, 5)
    write_image(str(tmp_path / 'labels.png'), labels, channel_order='rgb')
    assert np.array_equal(
        cv2.imread(str(tmp_path / 'labels.png'), cv2.IMREAD_UNCHANGED),
        labels)
    with pytest.raises(ValueError, match="got 'rbg'"):
        write_image(str(tmp_path / 'x.png'), rgb, channel_order='rbg')
