"""Cityscapes ``*_gtFine_labelTrainIds.png`` from the official polygons, by
cityscapesscripts' own drawing (``json2labelImg``'s ``createLabelImage``,
trainIds encoding: 0..18 for the 19 evaluated classes, 255 elsewhere)."""
import glob
import os.path as osp
from typing import Dict, Sequence

import numpy as np
from cityscapesscripts.helpers.annotation import Annotation
from cityscapesscripts.helpers.labels import name2label
from cityscapesscripts.preparation.json2labelImg import createLabelImage
from mmengine.utils import track_parallel_progress, track_progress

from ...fileio import write_image

#: Official numbers of finely annotated images.
SPLIT_SIZES = {'train': 2975, 'val': 500, 'test': 1525}
POLYGONS = '_gtFine_polygons.json'


def polygons_to_train_ids(json_file: str) -> np.ndarray:
    """One ``*_gtFine_polygons.json`` -> (H, W) uint8 train-id map.

    Raises:
        ValueError: for a label name cityscapesscripts does not know (it
            would print an error and exit the process).
    """
    annotation = Annotation()
    try:
        annotation.fromJsonFile(json_file)
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"'{json_file}' is not a Cityscapes polygon file "
                         f'(imgHeight, imgWidth, objects): {e!r}') from None
    for obj in annotation.objects:
        name = obj.label
        if name not in name2label and name.endswith('group'):
            name = name[:-len('group')]
        if not obj.deleted and name not in name2label:
            raise ValueError(f"'{json_file}': label '{obj.label}' is not a "
                             'Cityscapes label name')
    return np.asarray(createLabelImage(annotation, 'trainIds'), np.uint8)


def _convert_one(json_file: str) -> None:
    out = json_file[:-len(POLYGONS)] + '_gtFine_labelTrainIds.png'
    write_image(out, polygons_to_train_ids(json_file))


def convert_cityscapes(data_root: str,
                       splits: Sequence[str] = ('train', 'val'),
                       nproc: int = 1) -> Dict[str, int]:
    """Write ``gtFine/{split}/<city>/*_gtFine_labelTrainIds.png`` next to
    each ``*_gtFine_polygons.json``.

    Args:
        data_root (str): The Cityscapes folder holding ``gtFine/`` (the
            ``gtFine_trainvaltest.zip`` archive unpacked).
        splits (Sequence[str]): Splits to convert.
        nproc (int): Worker processes.

    Returns:
        dict: Number of label maps written per split.
    """
    counts = {}
    for split in splits:
        pattern = osp.join(data_root, 'gtFine', split, '*', '*' + POLYGONS)
        files = sorted(glob.glob(pattern))
        if not files:
            raise FileNotFoundError(
                f'no Cityscapes polygon files match {pattern}; expected '
                'gtFine/<split>/<city>/*_gtFine_polygons.json (unpack '
                'gtFine_trainvaltest.zip into the data root)')
        print(f'Cityscapes {split}: {len(files)} label maps')
        if nproc > 1:
            track_parallel_progress(_convert_one, files, nproc)
        else:
            track_progress(_convert_one, files)
        counts[split] = len(files)
    return counts
