import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

import cv2
import numpy as np
from mmengine.fileio import LocalBackend, put


def publish(partial: str, target: str) -> None:
    """Rename a finished temporary file onto ``target`` (atomic on POSIX),
    with the permissions a plain ``open`` would have given it (``mkstemp``
    creates files readable by their owner only)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(partial, 0o666 & ~umask)
    os.replace(partial, target)


def write_image(path: str,
                image: np.ndarray,
                channel_order: str = 'bgr') -> None:
    """``cv2`` encoding (format from the extension, PNG without one), then
    an all-or-nothing write (temp file + rename).

    Args:
        path (str): Destination; missing folders are created.
        image (np.ndarray): (H, W) or (H, W, 3) array.
        channel_order (str): ``'bgr'`` (OpenCV's order) or ``'rgb'`` (the
            visualisers' and the COCO panoptic PNGs' order) for a colour
            image; the file holds the colours either way.
    """
    if channel_order not in ('bgr', 'rgb'):
        raise ValueError(f"channel_order must be 'bgr' or 'rgb', got "
                         f'{channel_order!r}')
    if channel_order == 'rgb' and image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(osp.splitext(path)[1] or '.png', image)
    if not ok:
        raise ValueError(f"could not encode an image for '{path}'")
    put(encoded.tobytes(), path)


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend with all-or-nothing writes (put in
    place of mmengine's by :mod:`mmseg_depict.upstream_patches`).

    The Runner saves checkpoints through ``put``; the stock backend writes
    straight into the target, so an interrupted save (killed job, full
    disk) leaves a truncated ``iter_N.pth`` behind. Here the bytes go to a
    temporary file in the same folder, are flushed to disk and then renamed
    over the target, which is atomic on POSIX file systems.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write ``obj`` to ``filepath``; on failure the target is unchanged.

        Args:
            obj (bytes): Data to be written.
            filepath (str | Path): Destination; missing folders are created.
        """
        filepath = str(filepath)
        folder = osp.dirname(osp.abspath(filepath))
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f'.{osp.basename(filepath)}.', suffix='.part', dir=folder)
        try:
            with os.fdopen(fd, 'wb') as f:
                f.write(obj)
                f.flush()
                os.fsync(f.fileno())
            publish(tmp, filepath)
        except BaseException:
            if osp.exists(tmp):
                os.remove(tmp)
            raise

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Text through :meth:`put`: e.g. the metrics JSON that every rank
        of a distributed test writes to the same path ends up whole."""
        self.put(obj.encode(encoding), filepath)
