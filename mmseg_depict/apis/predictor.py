"""Predict and paint one image at a time, for semantic and panoptic configs
alike: what ``demo/image_demo.py`` and ``demo/video_demo.py`` share."""
import argparse
import os
import os.path as osp
from typing import List, Optional, Tuple

import cv2
import numpy as np
from PIL import Image

from ..engine.forward_compile import compile_forward
from ..tasks import PredictionWriter
from .inference import ConfigLike, build_inferencer

#: File endings read as images when the input is a folder.
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def check_image_complete(path: str) -> None:
    """Decode ``path`` in full with Pillow and raise if it is truncated or
    corrupt.

    OpenCV decodes a JPEG cut short without an error (it prints "Premature
    end of JPEG file" and fills the rest grey), so a half image would be
    segmented and painted as if whole; Pillow's decoder stops there.

    Raises:
        ValueError: Naming the file and what is wrong.
    """
    try:
        with Image.open(path) as image:
            image.load()
    except (OSError, SyntaxError, ValueError) as err:
        raise ValueError(f"'{path}' is truncated or corrupt ({err}); "
                         'nothing was predicted for it') from err


def read_image(path: str) -> np.ndarray:
    """An image file as (H, W, 3) uint8 BGR, or an error naming the file
    (missing, not an image, truncated or corrupt)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f"image file '{path}' does not exist")
    check_image_complete(path)
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"'{path}' is not an image OpenCV can decode "
                         f'(expected e.g. {", ".join(IMAGE_SUFFIXES[:4])})')
    return image


def list_images(source: str) -> List[str]:
    """An image file, or the image files of a folder (sorted, recursive).

    Every file is checked before any prediction runs (a readable image
    format, decoded in full: not truncated or corrupt), so one bad file
    stops a folder run before anything is written, and the error names it.
    """
    if osp.isdir(source):
        paths = sorted(
            osp.join(folder, name) for folder, _, names in os.walk(source)
            for name in names if name.lower().endswith(IMAGE_SUFFIXES))
        if not paths:
            raise FileNotFoundError(
                f"folder '{source}' holds no image files "
                f'(looked for {", ".join(IMAGE_SUFFIXES)})')
    elif osp.isfile(source):
        paths = [source]
    else:
        raise FileNotFoundError(f"input '{source}' does not exist")
    for path in paths:
        if not cv2.haveImageReader(path):
            raise ValueError(
                f"'{path}' is not an image OpenCV can decode "
                f'(expected e.g. {", ".join(IMAGE_SUFFIXES[:4])})')
        check_image_complete(path)
    return paths


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """``CONFIG [CHECKPOINT] --device --opacity``, as both demos take them;
    :meth:`Predictor.from_args` reads them back."""
    parser.add_argument('config', help='config file')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='checkpoint file (default: none, the '
        'initial weights)')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--opacity',
        type=float,
        default=0.5,
        help='weight of the painted classes over the image, in (0, 1]')
    parser.add_argument(
        '--compile',
        action='store_true',
        help="torch.compile the model's forward (the first image takes "
        'longer; worth it for folders and videos)')


class Predictor:
    """A config (and checkpoint) ready to predict and paint images.

    Args:
        config (str | Path | Config): Semantic (``mmseg`` scope) or panoptic
            (``mmdet`` scope) config.
        checkpoint (str, optional): Trained weights; checked against the
            config before use.
        device (str): Torch device. Default: ``'cpu'``.
        opacity (float): Weight of the painted classes over the image, in
            (0, 1]. Default: 0.5.
        compile (bool): ``torch.compile`` the network's forward
            (:func:`mmseg_depict.engine.compile_forward`). Default: False.
    """

    def __init__(self,
                 config: ConfigLike,
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 opacity: float = 0.5,
                 compile: bool = False) -> None:
        if not 0 < opacity <= 1:
            raise ValueError(f'opacity={opacity}: expected a value in (0, 1]')
        self.inferencer, self.task = build_inferencer(config, checkpoint,
                                                      device)
        if compile:
            compile_forward(self.inferencer.model)
        self.visualizer = self.inferencer.visualizer
        self.visualizer.alpha = opacity

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> 'Predictor':
        """From the arguments of :func:`add_model_arguments`."""
        return cls(args.config, args.checkpoint, args.device, args.opacity,
                   args.compile)

    @property
    def classes(self) -> Tuple[str, ...]:
        return tuple(self.inferencer.model.dataset_meta['classes'])

    def predict(self, image: np.ndarray):
        """One BGR image -> its ``SegDataSample`` / ``DetDataSample``."""
        return self.task.infer(self.inferencer, image)

    def paint(self, image: np.ndarray, sample) -> np.ndarray:
        """The prediction painted over a BGR image; returns BGR."""
        if not self.task.has_segments(sample, len(self.classes)):
            # Nothing but void: mmdet's visualizer cannot stack zero masks.
            return image.copy()
        self.visualizer.add_datasample(
            'prediction',
            np.ascontiguousarray(image[..., ::-1]),
            data_sample=sample,
            draw_gt=False,
            draw_pred=True)
        return np.ascontiguousarray(self.visualizer.get_image()[..., ::-1])

    def prediction_writer(self, out_dir: str) -> PredictionWriter:
        """Writes predictions in the task's file format under ``out_dir``
        (:meth:`mmseg_depict.tasks.Task.prediction_writer`: label PNGs for
        semantic configs, COCO panoptic PNGs + JSON for panoptic ones)."""
        return self.task.prediction_writer(out_dir,
                                           self.inferencer.model.dataset_meta)
