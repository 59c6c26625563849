"""Cityscapes -> COCO panoptic, by cityscapesscripts' own converter."""
import glob
import os.path as osp
from typing import Sequence

from cityscapesscripts.preparation.createPanopticImgs import convert2panoptic


def convert_cityscapes_panoptic(
    data_root: str, splits: Sequence[str] = ('train', 'val')) -> None:
    """Write ``gtFine/cityscapes_panoptic_{split}.json`` and the PNG folder
    ``gtFine/cityscapes_panoptic_{split}/`` from the
    ``gtFine/{split}/<city>/*_gtFine_instanceIds.png`` files.

    The conversion is cityscapesscripts' ``csCreatePanopticImgs`` (category
    ids = Cityscapes label ids, string image ids ``<city>_<seq>_<frame>``,
    crowd flags for thing pixels without an instance), so the output is the
    file every Cityscapes-panoptic user has.

    Args:
        data_root (str): The Cityscapes folder holding ``gtFine/``.
        splits (Sequence[str]): Splits to convert.
    """
    gt_root = osp.join(data_root, 'gtFine')
    for split in splits:
        pattern = osp.join(gt_root, split, '*', '*_gtFine_instanceIds.png')
        # cityscapesscripts would only print an error and exit the process.
        if not glob.glob(pattern):
            raise FileNotFoundError(
                f'no Cityscapes instance annotations match {pattern}; '
                'expected gtFine/<split>/<city>/*_gtFine_instanceIds.png')
    convert2panoptic(
        cityscapesPath=gt_root,
        outputFolder=gt_root,
        useTrainId=False,
        setNames=list(splits))
