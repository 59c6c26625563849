"""Write procedural scenes in the on-disk layouts of real datasets.

Each writer produces exactly what the dataset classes read (folders, file
names, label encodings, split files), so generated data exercises the real
``ADE20KDataset``, ``CityscapesDataset`` and ``PascalContextDataset59`` and
their pipelines end to end.
"""
import os
import os.path as osp
from typing import Callable, Dict, Sequence, Tuple

import cv2
import numpy as np
from mmseg.datasets import (ADE20KDataset, CityscapesDataset,
                            PascalContextDataset59)

from .scenes import SCENE_CLASSES, UNLABELLED, render_scene

#: Dataset class names of the scene classes, per layout.
_CITYSCAPES_NAMES = {'tree': 'vegetation', 'grass': 'terrain'}


def _value_table(dataset_classes: Sequence[str], rename: Dict[str, str],
                 offset: int, unlabelled: int) -> np.ndarray:
    """Lookup table scene label -> value stored in the dataset's PNG."""
    table = np.full(256, unlabelled, np.uint8)
    for i, name in enumerate(SCENE_CLASSES):
        table[i] = dataset_classes.index(rename.get(name, name)) + offset
    return table


def _write_pair(image_path: str, label_path: str, image: np.ndarray,
                label: np.ndarray) -> None:
    os.makedirs(osp.dirname(image_path), exist_ok=True)
    os.makedirs(osp.dirname(label_path), exist_ok=True)
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if image_path.endswith('.jpg') \
        else []
    if not cv2.imwrite(image_path, bgr, params) or \
            not cv2.imwrite(label_path, label):
        raise OSError(f'could not write {image_path} / {label_path}')


def _scenes(seed: int, split: int, count: int, size: Tuple[int, int]):
    for i in range(count):
        # One generator per image: image i is the same whatever the count.
        yield i, render_scene(np.random.default_rng([seed, split, i]), *size)


def make_ade20k(data_root: str, num_train: int, num_val: int,
                size: Tuple[int, int] = (256, 256), seed: int = 0) -> str:
    """ADEChallengeData2016 layout: ``images/{training,validation}/*.jpg``,
    ``annotations/.../*.png`` with 0 = other and class k stored as k + 1.

    Returns:
        str: ``data_root``.
    """
    table = _value_table(ADE20KDataset.METAINFO['classes'], {}, 1, 0)
    for split, (folder, tag, count) in enumerate(
        (('training', 'train', num_train), ('validation', 'val', num_val))):
        for i, (image, label) in _scenes(seed, split, count, size):
            name = f'ADE_{tag}_{i + 1:08d}'
            _write_pair(
                osp.join(data_root, 'images', folder, name + '.jpg'),
                osp.join(data_root, 'annotations', folder, name + '.png'),
                image, table[label])
    return data_root


def make_cityscapes(data_root: str, num_train: int, num_val: int,
                    size: Tuple[int, int] = (256, 512),
                    seed: int = 0) -> str:
    """Cityscapes layout: ``leftImg8bit/{train,val}/<city>/*_leftImg8bit.png``
    and ``gtFine/.../*_gtFine_labelTrainIds.png`` (train ids, 255 = ignore).

    Returns:
        str: ``data_root``.
    """
    table = _value_table(CityscapesDataset.METAINFO['classes'],
                         _CITYSCAPES_NAMES, 0, 255)
    cities = {'train': ('aachen', 'bochum'), 'val': ('frankfurt', )}
    for split, (folder, count) in enumerate(
        (('train', num_train), ('val', num_val))):
        for i, (image, label) in _scenes(seed, split, count, size):
            city = cities[folder][i % len(cities[folder])]
            stem = f'{city}_{i:06d}_000019'
            _write_pair(
                osp.join(data_root, 'leftImg8bit', folder, city,
                         stem + '_leftImg8bit.png'),
                osp.join(data_root, 'gtFine', folder, city,
                         stem + '_gtFine_labelTrainIds.png'), image,
                table[label])
    return data_root


def make_pascal_context(data_root: str, num_train: int, num_val: int,
                        size: Tuple[int, int] = (240, 320),
                        seed: int = 0) -> str:
    """VOC2010 + PASCAL-Context layout: ``JPEGImages/*.jpg``,
    ``SegmentationClassContext/*.png`` (0 = background, classes 1..59) and
    ``ImageSets/SegmentationContext/{train,val}.txt``.

    Returns:
        str: ``data_root``.
    """
    table = _value_table(PascalContextDataset59.METAINFO['classes'], {}, 1, 0)
    split_dir = osp.join(data_root, 'ImageSets', 'SegmentationContext')
    os.makedirs(split_dir, exist_ok=True)
    for split, (name, year, count) in enumerate(
        (('train', 2008, num_train), ('val', 2010, num_val))):
        stems = []
        for i, (image, label) in _scenes(seed, split, count, size):
            stem = f'{year}_{i:06d}'
            stems.append(stem)
            _write_pair(
                osp.join(data_root, 'JPEGImages', stem + '.jpg'),
                osp.join(data_root, 'SegmentationClassContext', stem + '.png'),
                image, table[label])
        with open(osp.join(split_dir, name + '.txt'), 'w') as f:
            f.write(''.join(s + '\n' for s in stems))
    return data_root


#: Writers by layout name, for tools and tests.
LAYOUTS: Dict[str, Callable[..., str]] = {
    'ade20k': make_ade20k,
    'cityscapes': make_cityscapes,
    'pascal_context': make_pascal_context,
}
