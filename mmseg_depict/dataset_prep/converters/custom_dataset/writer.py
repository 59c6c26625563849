"""The prepared dataset folder: splits, painted label maps and panoptic
PNGs, the JSON files; written in a temporary folder renamed into place."""
import json
import os
import os.path as osp
import random
import shutil
import tempfile
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

from mmseg_depict_light.panoptic_ids import id2rgb, segment_bbox
from .records import CustomDatasetError, Export, Sample


def palette_for(num_classes: int) -> List[List[int]]:
    """Distinct, reproducible colours (golden-ratio hues, two brightness
    levels)."""
    colours = []
    for index in range(num_classes):
        hue = int((index * 0.618033988749895 % 1.0) * 180)
        value = 230 if index % 2 == 0 else 160
        hsv = np.uint8([[[hue, 200, value]]])
        colours.append(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].tolist())
    return colours


def assign_splits(samples: List[Sample], val_fraction: Optional[float],
                  seed: int) -> None:
    """Give every sample a split: the export's own, else a seeded random
    ``val_fraction`` (at least one image) goes to val."""
    if all(s.split for s in samples):
        return
    if any(s.split for s in samples):
        raise CustomDatasetError(
            'some images have a split and others not; give both splits')
    if val_fraction is None or not 0 < val_fraction < 1:
        raise CustomDatasetError(
            f'--val-fraction must be between 0 and 1, got {val_fraction!r} '
            '(or give the validation images separately)')
    if len(samples) < 2:
        raise CustomDatasetError(
            'one image cannot be split into train and val')
    order = sorted(range(len(samples)), key=lambda i: samples[i].name)
    random.Random(seed).shuffle(order)
    num_val = min(
        len(samples) - 1, max(1, int(round(val_fraction * len(samples)))))
    val = set(order[:num_val])
    for index, sample in enumerate(samples):
        sample.split = 'val' if index in val else 'train'


def _paint(sample: Sample, ordered: List[str],
           things: set) -> Tuple[np.ndarray, np.ndarray, List[dict], int]:
    """Label map, segment ids, segments_info and the count of dropped
    (fully covered) things of one sample."""
    index = {name: i for i, name in enumerate(ordered)}
    shape = (sample.height, sample.width)
    if sample.label_path is not None:
        label = cv2.imread(sample.label_path, cv2.IMREAD_UNCHANGED)
        if sample.ignore_value is not None:
            label[label == sample.ignore_value] = 255
        return label, None, [], 0
    label = np.full(shape, 255, np.uint8)
    owner = np.zeros(shape, np.int32)  # 1-based region index, 0 = none
    painted = sorted(
        enumerate(sample.regions),
        key=lambda item: (item[1].category in things, item[0]))
    for position, (_, region) in enumerate(painted, start=1):
        mask = region.mask(*shape)
        label[mask] = index[region.category]
        owner[mask] = position
    segment_ids = np.zeros(shape, np.int32)
    segments, dropped, next_id = [], 0, 1
    stuff_segments: Dict[str, dict] = {}
    for position, (_, region) in enumerate(painted, start=1):
        mask = owner == position
        if region.category in things:
            if not mask.any():
                dropped += 1
                continue
            segment = dict(
                id=next_id,
                category_id=index[region.category] + 1,
                iscrowd=int(region.iscrowd))
            next_id += 1
        else:  # one segment per stuff class and image
            if not mask.any():
                continue
            segment = stuff_segments.get(region.category)
            if segment is None:
                segment = dict(
                    id=next_id,
                    category_id=index[region.category] + 1,
                    iscrowd=0)
                next_id += 1
                stuff_segments[region.category] = segment
        segment_ids[mask] = segment['id']
        if segment['id'] == len(segments) + 1:  # new (ids are in order)
            segments.append(segment)
    for segment in segments:
        mask = segment_ids == segment['id']
        segment.update(area=int(mask.sum()), bbox=segment_bbox(mask))
    return label, segment_ids, segments, dropped


def write_dataset(export: Export,
                  out_dir: str,
                  val_fraction: Optional[float] = 0.2,
                  seed: int = 0,
                  progress=None) -> dict:
    """Write ``export`` as a prepared dataset folder (see the module doc).

    Args:
        export (Export): From one of the ``read_*`` functions.
        out_dir (str): Must not exist yet; built in a temporary folder
            beside it and renamed at the end.
        val_fraction (float, optional): Share of images for val when the
            export has no split of its own.
        seed (int): Seed of that split.
        progress (callable, optional): Called once per image written.

    Returns:
        dict: The ``dataset.json`` content.
    """
    out_dir = osp.abspath(out_dir)
    if osp.exists(out_dir):
        raise CustomDatasetError(
            f'{out_dir} exists; give a new folder (nothing was written)')
    assign_splits(export.samples, val_fraction, seed)
    things = [c for c in export.classes if c in export.things]
    stuff = [c for c in export.classes if c not in export.things]
    ordered = things + stuff  # mmdet's panoptic heads: things first
    panoptic = all(s.label_path is None for s in export.samples)
    extensions = {
        osp.splitext(s.image_path)[1].lower()
        for s in export.samples
    }
    # One suffix for mmseg's img_suffix: kept when shared, else all PNG.
    image_suffix = extensions.pop() if len(extensions) == 1 else '.png'
    os.makedirs(osp.dirname(out_dir), exist_ok=True)
    tmp = tempfile.mkdtemp(
        prefix=osp.basename(out_dir) + '.',
        suffix='.partial',
        dir=osp.dirname(out_dir))
    try:
        summary = _write_into(tmp, export, ordered, set(things), panoptic,
                              image_suffix, progress)
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def _write_into(root: str, export: Export, ordered: List[str], things: set,
                panoptic: bool, image_suffix: str, progress) -> dict:
    splits = {'train': [], 'val': []}
    panoptic_json = {split: [] for split in splits}
    counts = {
        split:
        dict(
            images=0,
            thing_segments=0,
            stuff_segments=0,
            crowd_segments=0,
            dropped_things=0)
        for split in splits
    }
    for sample in sorted(export.samples, key=lambda s: s.name):
        split = sample.split
        folders = ['images', 'semantic'] + (['panoptic'] if panoptic else [])
        for folder in folders:
            os.makedirs(osp.join(root, folder, split), exist_ok=True)
        image_file = sample.name + image_suffix
        target = osp.join(root, 'images', split, image_file)
        if osp.splitext(sample.image_path)[1].lower() == image_suffix:
            shutil.copyfile(sample.image_path, target)
        else:
            cv2.imwrite(target, cv2.imread(sample.image_path,
                                           cv2.IMREAD_COLOR))
        label, segment_ids, segments, dropped = _paint(sample, ordered, things)
        cv2.imwrite(
            osp.join(root, 'semantic', split, sample.name + '.png'), label)
        if panoptic:
            cv2.imwrite(
                osp.join(root, 'panoptic', split, sample.name + '.png'),
                id2rgb(segment_ids)[..., ::-1])
            panoptic_json[split].append(
                dict(
                    image_id=sample.name,
                    file_name=sample.name + '.png',
                    segments_info=segments))
        splits[split].append(sample)
        count = counts[split]
        count['images'] += 1
        count['dropped_things'] += dropped
        for segment in segments:
            name = ordered[segment['category_id'] - 1]
            key = 'crowd_segments' if segment['iscrowd'] else (
                'thing_segments' if name in things else 'stuff_segments')
            count[key] += 1
        if progress is not None:
            progress()
    categories = [
        dict(
            id=i + 1,
            name=name,
            isthing=int(name in things),
            supercategory='thing' if name in things else 'stuff')
        for i, name in enumerate(ordered)
    ]
    for split, samples in splits.items():
        with open(osp.join(root, f'{split}.txt'), 'w') as f:
            f.writelines(s.name + '\n' for s in samples)
        if not panoptic:
            continue
        images = [
            dict(
                id=s.name,
                file_name=s.name + image_suffix,
                height=s.height,
                width=s.width) for s in samples
        ]
        with open(osp.join(root, f'panoptic_{split}.json'), 'w') as f:
            json.dump(
                dict(
                    images=images,
                    annotations=panoptic_json[split],
                    categories=categories), f)
    summary = dict(
        classes=ordered,
        thing_classes=[c for c in ordered if c in things],
        stuff_classes=[c for c in ordered if c not in things],
        palette=palette_for(len(ordered)),
        image_suffix=image_suffix,
        panoptic=panoptic,
        # The smallest height and width: configs fit their crops to these.
        min_size=[
            min(s.height for s in export.samples),
            min(s.width for s in export.samples)
        ],
        counts=counts,
        source=osp.abspath(export.source))
    with open(osp.join(root, 'dataset.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    return summary


def read_dataset_meta(root: str) -> dict:
    """The ``dataset.json`` of a folder :func:`write_dataset` made.

    Raises:
        CustomDatasetError: The folder has none.
    """
    path = osp.join(root, 'dataset.json')
    if not osp.isfile(path):
        raise CustomDatasetError(
            f"'{path}' not found: expected a folder written by "
            'tools/dataset_converters/custom_dataset.py')
    with open(path) as f:
        return json.load(f)
