"""ADE20K (SceneParsing + instance annotations) -> COCO panoptic.

Input, as downloaded (ADEChallengeData2016 plus the instance-challenge
annotations unpacked into it):

* ``images/{training,validation}/<stem>.jpg``
* ``annotations/{training,validation}/<stem>.png``: semantic, 0 = other,
  k = ADE150 class k (1..150)
* ``annotations_instance/{training,validation}/<stem>.png``: R = instance
  category (1..100), G = instance id (0 = none)
* ``categoryMapping.txt``: a header line, then ``<instance category>
  <ADE150 class> ...`` per line

Output: ``ade20k_panoptic_{train,val}.json`` and
``ade20k_panoptic_{train,val}/<stem>.png`` with the categories of mmdet's
``ADE20KPanopticDataset`` (100 things, then 50 stuff; ids 0..149 in that
order), as mmdet's configs read them. Stuff segments come from the semantic
map (one per class), things from the instance map (one per instance).
"""
import glob
import json
import os
import os.path as osp
from typing import Dict, List, Sequence

import cv2
import numpy as np
from mmdet.datasets import ADE20KPanopticDataset
from mmseg.datasets import ADE20KDataset

from mmseg_depict_light.panoptic_ids import id2rgb, segment_bbox

#: mmseg's ADE150 names whose panoptic name differs in more than the
#: synonyms after the first comma.
_PANOPTIC_NAME = {
    'bed ': 'bed',
    'windowpane': 'window',
    'bathtub': 'tub',
    'railing': 'rail',
    'streetlight': 'street lamp',
    'television receiver': 'tv',
    'apparel': 'clothes',
    'swimming pool': 'pool',
    'waterfall': 'falls',
    'ashcan': 'trash can'
}


def _ade150_to_panoptic() -> List[int]:
    """Panoptic label (index into mmdet's classes) of ADE150 class k - 1."""
    panoptic = ADE20KPanopticDataset.METAINFO['classes']
    by_first_name = {name.split(',')[0]: i for i, name in enumerate(panoptic)}
    return [
        by_first_name[_PANOPTIC_NAME.get(name, name)]
        for name in ADE20KDataset.METAINFO['classes']
    ]


#: ``ADE150_TO_PANOPTIC[k - 1]`` = panoptic label of ADE150 class k.
ADE150_TO_PANOPTIC: List[int] = _ade150_to_panoptic()
NUM_THINGS = len(ADE20KPanopticDataset.METAINFO['thing_classes'])


def read_category_mapping(path: str) -> Dict[int, int]:
    """``categoryMapping.txt`` -> {instance category: ADE150 class}."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} not found: it maps the instance categories (R channel '
            'of annotations_instance/*.png) to ADE150 classes')
    mapping = {}
    with open(path) as f:
        for number, line in enumerate(f.readlines()[1:], start=2):
            fields = line.split()
            if not fields:
                continue
            if len(fields) < 2 or not (fields[0].isdigit()
                                       and fields[1].isdigit()):
                raise ValueError(f'{path}:{number}: expected "<instance '
                                 f'category> <ADE150 class> ...", got '
                                 f'{line.strip()!r}')
            mapping[int(fields[0])] = int(fields[1])
    return mapping


def _read_png(path: str, flags: int) -> np.ndarray:
    image = cv2.imread(path, flags)
    if image is None:
        raise FileNotFoundError(f'{path} not found or not an image')
    return image


def panoptic_ids(semantic: np.ndarray, instance_rgb: np.ndarray,
                 mapping: Dict[int, int], source: str) -> tuple:
    """Segment id map and ``{segment id: panoptic label}`` of one image.

    Segment ids are ``(label + 1) * 1000 + instance`` (instance 0 for stuff):
    unique, stable and readable in the PNG.

    Args:
        semantic (np.ndarray): (H, W) ADE150 labels, 0 = other.
        instance_rgb (np.ndarray): (H, W, 3) instance annotation, RGB.
        mapping (dict): ``categoryMapping.txt`` contents.
        source (str): The instance file, for error messages.

    Returns:
        tuple: (H, W) int64 ids (0 = VOID) and the labels of the ids.
    """
    ids = np.zeros(semantic.shape, np.int64)
    labels = {}
    for value in np.unique(semantic):
        label = ADE150_TO_PANOPTIC[value - 1] if value else None
        if label is None or label < NUM_THINGS:
            continue  # other, or a thing: things come from the instances
        ids[semantic == value] = (label + 1) * 1000
        labels[(label + 1) * 1000] = label
    categories, instances = instance_rgb[..., 0], instance_rgb[..., 1]
    for instance in np.unique(instances):
        if instance == 0:
            continue
        mask = instances == instance
        found = np.unique(categories[mask])
        if len(found) != 1 or int(found[0]) not in mapping:
            raise ValueError(
                f'{source}: instance {instance} has instance categories '
                f'{found.tolist()}; expected one listed in categoryMapping.txt'
            )
        label = ADE150_TO_PANOPTIC[mapping[int(found[0])] - 1]
        seg_id = (label + 1) * 1000 + int(instance)
        ids[mask] = seg_id
        labels[seg_id] = label
    return ids, labels


def convert_ade20k_panoptic(
    data_root: str, splits: Sequence[str] = ('train', 'val')) -> None:
    """Write the panoptic JSON and PNGs of ``splits`` under ``data_root``.

    Args:
        data_root (str): The ``ADEChallengeData2016`` folder.
        splits (Sequence[str]): Any of ``'train'`` and ``'val'``.
    """
    mapping = read_category_mapping(osp.join(data_root, 'categoryMapping.txt'))
    meta = ADE20KPanopticDataset.METAINFO
    categories = [
        dict(
            id=i,
            name=name,
            isthing=int(i < NUM_THINGS),
            color=list(meta['palette'][i]))
        for i, name in enumerate(meta['classes'])
    ]
    folders = dict(train='training', val='validation')
    for split in splits:
        images = sorted(
            glob.glob(osp.join(data_root, 'images', folders[split], '*.jpg')))
        if not images:
            raise FileNotFoundError(
                f'no images in {osp.join(data_root, "images", folders[split])}'
            )
        out_dir = osp.join(data_root, f'ade20k_panoptic_{split}')
        os.makedirs(out_dir, exist_ok=True)
        image_infos, annotations = [], []
        for image_path in images:
            stem = osp.splitext(osp.basename(image_path))[0]
            semantic = _read_png(
                osp.join(data_root, 'annotations', folders[split],
                         stem + '.png'), cv2.IMREAD_UNCHANGED)
            instance_path = osp.join(data_root, 'annotations_instance',
                                     folders[split], stem + '.png')
            instance_rgb = _read_png(instance_path,
                                     cv2.IMREAD_COLOR)[..., ::-1]
            ids, labels = panoptic_ids(semantic, instance_rgb, mapping,
                                       instance_path)
            cv2.imwrite(
                osp.join(out_dir, stem + '.png'),
                id2rgb(ids)[..., ::-1])
            segments = []
            for seg_id in sorted(labels):
                mask = ids == seg_id
                if mask.any():  # stuff fully covered by things has no pixels
                    segments.append(
                        dict(
                            id=seg_id,
                            category_id=labels[seg_id],
                            area=int(mask.sum()),
                            bbox=segment_bbox(mask),
                            iscrowd=0))
            image_infos.append(
                dict(
                    id=stem,
                    file_name=stem + '.jpg',
                    height=int(ids.shape[0]),
                    width=int(ids.shape[1])))
            annotations.append(
                dict(
                    image_id=stem,
                    file_name=stem + '.png',
                    segments_info=segments))
        with open(osp.join(data_root, f'ade20k_panoptic_{split}.json'),
                  'w') as f:
            json.dump(
                dict(
                    images=image_infos,
                    annotations=annotations,
                    categories=categories), f)
