"""Label PNGs already painted (one class index per pixel) with a class
list, optionally with a validation split of their own."""
import os
import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np

from .records import (IMAGE_EXTENSIONS, CustomDatasetError, Export, Sample,
                      check_class_count, image_size, unique_name)


def read_label_pngs(image_dir: str,
                    label_dir: str,
                    classes: Sequence[str],
                    ignore_index: Optional[int] = None,
                    split: Optional[str] = None) -> Export:
    """Read and validate painted label PNGs (semantic only).

    Args:
        image_dir (str): Images; ``<name>.<ext>``.
        label_dir (str): ``<name>.png`` per image: class indices 0..K-1,
            255 unlabelled.
        classes (Sequence[str]): The K class names, index order.
        ignore_index (int, optional): Another value that means unlabelled
            (CamVid's void is 11); written as 255.
        split (str, optional): ``'train'`` or ``'val'``: the export's own
            split of these images.

    Returns:
        Export: One sample per image, its label map attached.
    """
    classes = list(classes)
    check_class_count(classes)
    if ignore_index is not None and not 0 <= ignore_index <= 255:
        raise CustomDatasetError(
            f'--ignore-index {ignore_index}: expected a label value 0..255')
    if ignore_index is not None and ignore_index < len(classes):
        raise CustomDatasetError(
            f'--ignore-index {ignore_index} is the index of class '
            f'{classes[ignore_index]!r}; expected a value outside the '
            f'{len(classes)} classes 0..{len(classes) - 1}')
    unlabelled = {255} if ignore_index is None else {255, ignore_index}
    if not osp.isdir(image_dir):
        raise CustomDatasetError(f'{image_dir}: not a folder of images')
    images = sorted(
        name for name in os.listdir(image_dir)
        if osp.splitext(name)[1].lower() in IMAGE_EXTENSIONS)
    if not images:
        raise CustomDatasetError(f'{image_dir}: no images')
    samples, names = [], {}
    for image in images:
        path = osp.join(image_dir, image)
        height, width = image_size(path, image_dir)
        name = unique_name(path, names)
        label_path = osp.join(label_dir, name + '.png')
        if not osp.isfile(label_path):
            raise CustomDatasetError(f'{path}: no label map {label_path}')
        label = cv2.imread(label_path, cv2.IMREAD_UNCHANGED)
        if label is None or label.ndim != 2 or label.dtype != np.uint8:
            raise CustomDatasetError(
                f'{label_path}: expected a single-channel 8-bit PNG of class '
                'indices')
        if label.shape != (height, width):
            raise CustomDatasetError(
                f'{label_path}: {label.shape[1]}x{label.shape[0]}, its image '
                f'{path} is {width}x{height}')
        values = np.unique(label)
        bad = [
            v for v in values.tolist()
            if v >= len(classes) and v not in unlabelled
        ]
        if bad:
            hint = ('' if ignore_index is not None else
                    '; if one of them means unlabelled, give it as '
                    '--ignore-index')
            allowed = ' or '.join(map(str, sorted(unlabelled)))
            raise CustomDatasetError(
                f'{label_path}: values {bad} are not class indices '
                f'0..{len(classes) - 1} (or {allowed}, unlabelled){hint}')
        samples.append(
            Sample(
                name,
                path,
                height,
                width,
                label_path=label_path,
                split=split,
                ignore_value=ignore_index))
    return Export(classes, [], samples, label_dir)
