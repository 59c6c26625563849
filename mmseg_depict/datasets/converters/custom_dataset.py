"""Your own labelled images -> one prepared dataset folder for every head.

Three kinds of export are read:

* **COCO instances JSON** (CVAT, Label Studio, Roboflow): polygons, RLE,
  ``iscrowd``. A category is a thing unless it is named with ``stuff`` or
  has ``"isthing": 0``.
* **labelme** per-image JSON files: ``polygon``, ``rectangle`` and
  ``circle`` shapes; shapes sharing a ``group_id`` and label are one object.
* **label PNGs** already painted (mmseg's format: one class index per pixel,
  255 unlabelled, or another unlabelled value named by ``ignore_index``)
  with a class list, optionally with a validation split of their own:
  semantic only.

Everything is validated before anything is written, and the output is built
in a temporary folder renamed into place at the end: a bad input leaves no
half-written dataset. Masks are decoded by pycocotools (polygons of every
kind, labelme's too, go through ``frPyObjects``).

Overlaps follow one rule: stuff is painted first, then things; within each,
annotations in the order of the file (COCO: by annotation id; labelme: shape
order), a later one over an earlier one. A thing whose pixels are all
covered by later ones is dropped and counted.

Output (``write_dataset``)::

    OUT/images/{train,val}/<name>.<ext>
    OUT/semantic/{train,val}/<name>.png    class index, 255 = unlabelled
    OUT/panoptic/{train,val}/<name>.png    COCO panoptic (RGB segment ids)
    OUT/panoptic_{train,val}.json          COCO panoptic (things first)
    OUT/{train,val}.txt                    image names of each split
    OUT/dataset.json                       classes, things / stuff, palette,
                                           counts, source
"""
import json
import os
import os.path as osp
import random
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from ...utils.panoptic_ids import id2rgb, segment_bbox

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
#: Label PNGs are 8-bit: 0..254 are classes, 255 is "unlabelled".
MAX_CLASSES = 255
CIRCLE_VERTICES = 64


class CustomDatasetError(ValueError):
    """An export that cannot be converted; the message names the file,
    annotation or value."""


@dataclass
class Region:
    """One annotated region before painting.

    Attributes:
        category (str): Class name.
        polygons (list): Polygons as flat ``[x0, y0, x1, y1, ...]`` lists,
            or None when ``rle`` is given.
        rle (dict): A COCO RLE (compressed or not), or None.
        iscrowd (bool): A crowd region (COCO ``iscrowd``).
        source (str): Where it came from, for messages.
    """
    category: str
    polygons: Optional[List[List[float]]] = None
    rle: Optional[dict] = None
    iscrowd: bool = False
    source: str = ''

    def mask(self, height: int, width: int) -> np.ndarray:
        """(H, W) bool, decoded by pycocotools."""
        if self.rle is not None:
            rle = self.rle
            if isinstance(rle.get('counts'), list):  # uncompressed
                rle = mask_utils.frPyObjects(rle, height, width)
        else:
            rle = mask_utils.merge(
                mask_utils.frPyObjects(self.polygons, height, width))
        return mask_utils.decode(rle).astype(bool)


@dataclass
class Sample:
    """One image and what is annotated on it."""
    name: str
    image_path: str
    height: int
    width: int
    regions: List[Region] = field(default_factory=list)
    label_path: Optional[str] = None  # painted label PNG (semantic input)
    split: Optional[str] = None  # the export's own split, if any
    ignore_value: Optional[int] = None  # label_path's "unlabelled" besides 255


@dataclass
class Export:
    """A validated export: classes (in the export's order) and samples."""
    classes: List[str]
    things: List[str]
    samples: List[Sample]
    source: str


def _read_json(path: str) -> dict:
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as err:
        raise CustomDatasetError(f'{path}: cannot read ({err})') from err
    except json.JSONDecodeError as err:
        raise CustomDatasetError(f'{path}: not valid JSON ({err})') from err


def _image_size(path: str, context: str) -> Tuple[int, int]:
    """(height, width) of a readable image file."""
    if not osp.isfile(path):
        raise CustomDatasetError(f'{context}: image file {path} is missing')
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise CustomDatasetError(
            f'{context}: image file {path} cannot be read as an image')
    return image.shape[:2]


def _check_polygon(points: Sequence[float], height: int, width: int,
                   context: str) -> List[float]:
    """A flat polygon with at least 3 points, inside the image (a pixel's
    margin allowed for annotation tools that snap to pixel edges)."""
    if len(points) % 2 or len(points) < 6:
        raise CustomDatasetError(
            f'{context}: a polygon needs at least 3 points (x, y pairs), got '
            f'{len(points) / 2:g}')
    xs, ys = np.asarray(points[0::2], float), np.asarray(points[1::2], float)
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise CustomDatasetError(f'{context}: polygon has non-finite points')
    if xs.min() < -1 or ys.min() < -1 or xs.max() > width + 1 \
            or ys.max() > height + 1:
        raise CustomDatasetError(
            f'{context}: polygon reaches outside the {width}x{height} image '
            f'(x {xs.min():g}..{xs.max():g}, y {ys.min():g}..{ys.max():g})')
    return [float(v) for v in points]


def _unique_name(path: str, seen: Dict[str, str]) -> str:
    name = osp.splitext(osp.basename(path))[0]
    if name in seen:
        raise CustomDatasetError(
            f'two images would have the same name {name!r}: {seen[name]} and '
            f'{path}; rename one')
    seen[name] = path
    return name


def _things(
    classes: List[str],
    stuff: Sequence[str],
    declared_stuff: Sequence[str] = ()) -> List[str]:
    unknown = sorted(set(stuff) - set(classes))
    if unknown:
        raise CustomDatasetError(
            f'--stuff names {unknown}, which are not classes of the export '
            f'(it has {classes})')
    stuff = set(stuff) | set(declared_stuff)
    return [c for c in classes if c not in stuff]


def _check_class_count(classes: List[str]) -> None:
    if len(classes) > MAX_CLASSES:
        raise CustomDatasetError(
            f'{len(classes)} classes: label PNGs are 8-bit here, 0..254 for '
            f'classes and 255 for unlabelled, so at most {MAX_CLASSES} fit. '
            'Merge classes, or convert in parts.')
    if len(set(classes)) != len(classes):
        dupes = sorted({c for c in classes if classes.count(c) > 1})
        raise CustomDatasetError(f'class names repeat: {dupes}')


def read_coco_instances(ann_file: str,
                        image_dir: str,
                        stuff: Sequence[str] = (),
                        split: Optional[str] = None) -> Export:
    """Read and validate a COCO instances export.

    Args:
        ann_file (str): The JSON (``images``, ``annotations``,
            ``categories``).
        image_dir (str): Folder the images' ``file_name`` are relative to.
        stuff (Sequence[str]): Category names to treat as stuff.
        split (str, optional): ``'train'`` / ``'val'`` for every image.

    Returns:
        Export: Categories in the file's order.
    """
    data = _read_json(ann_file)
    for key in ('images', 'annotations', 'categories'):
        if not isinstance(data.get(key), list):
            raise CustomDatasetError(
                f'{ann_file}: no "{key}" list; a COCO instances export has '
                '"images", "annotations" and "categories"')
    categories = {}
    declared_stuff = []
    for cat in data['categories']:
        if cat['id'] in categories:
            raise CustomDatasetError(
                f'{ann_file}: category id {cat["id"]} appears twice')
        categories[cat['id']] = cat['name']
        if cat.get('isthing', 1) == 0:
            declared_stuff.append(cat['name'])
    classes = list(categories.values())
    _check_class_count(classes)
    things = _things(classes, stuff, declared_stuff)
    samples, names = {}, {}
    for image in data['images']:
        if image['id'] in samples:
            raise CustomDatasetError(
                f'{ann_file}: image id {image["id"]} appears twice')
        path = osp.join(image_dir, image['file_name'])
        context = f'{ann_file}: image id {image["id"]}'
        height, width = _image_size(path, context)
        if (image.get('height'), image.get('width')) != (None, None) and \
                (image.get('height'), image.get('width')) != (height, width):
            raise CustomDatasetError(
                f'{context}: the JSON says {image.get("width")}x'
                f'{image.get("height")}, the image {path} is {width}x'
                f'{height}')
        samples[image['id']] = Sample(
            _unique_name(path, names), path, height, width, split=split)
    for ann in sorted(data['annotations'], key=lambda a: a['id']):
        context = f'{ann_file}: annotation id {ann["id"]}'
        if ann.get('category_id') not in categories:
            raise CustomDatasetError(
                f'{context}: category_id {ann.get("category_id")} is not in '
                f'"categories" (ids {sorted(categories)})')
        sample = samples.get(ann.get('image_id'))
        if sample is None:
            raise CustomDatasetError(
                f'{context}: image_id {ann.get("image_id")} is not in '
                '"images"')
        segmentation = ann.get('segmentation')
        region = Region(
            categories[ann['category_id']],
            iscrowd=bool(ann.get('iscrowd', 0)),
            source=context)
        if isinstance(segmentation, list):
            if not segmentation:
                raise CustomDatasetError(f'{context}: empty segmentation')
            region.polygons = [
                _check_polygon(p, sample.height, sample.width, context)
                for p in segmentation
            ]
        elif isinstance(segmentation, dict) and 'counts' in segmentation:
            if list(segmentation.get('size',
                                     [])) != [sample.height, sample.width]:
                raise CustomDatasetError(
                    f'{context}: RLE size {segmentation.get("size")} is not '
                    f'the image\'s [{sample.height}, {sample.width}]')
            region.rle = segmentation
        else:
            raise CustomDatasetError(
                f'{context}: segmentation is neither polygons nor an RLE')
        sample.regions.append(region)
    return Export(classes, things, list(samples.values()), ann_file)


def _labelme_polygon(shape: dict, context: str) -> List[float]:
    kind = shape.get('shape_type') or 'polygon'
    points = np.asarray(shape.get('points') or [], float).reshape(-1, 2)
    if kind == 'polygon':
        return points.flatten().tolist()
    if kind == 'rectangle' and len(points) == 2:
        (x0, y0), (x1, y1) = points
        return [x0, y0, x1, y0, x1, y1, x0, y1]
    if kind == 'circle' and len(points) == 2:
        (cx, cy), (px, py) = points
        radius = float(np.hypot(px - cx, py - cy))
        angles = np.linspace(0, 2 * np.pi, CIRCLE_VERTICES, endpoint=False)
        return np.stack(
            [cx + radius * np.cos(angles), cy + radius * np.sin(angles)],
            1).flatten().tolist()
    raise CustomDatasetError(
        f'{context}: shape_type {kind!r} with {len(points)} points is not an '
        'area (polygon, rectangle or circle of 2 points)')


def read_labelme(
    folder: str,
    classes: Optional[Sequence[str]] = None,
    stuff: Sequence[str] = ()) -> Export:
    """Read and validate a folder of labelme JSON files.

    Args:
        folder (str): Holds ``*.json`` (searched recursively); each names
            its image in ``imagePath`` (relative to the JSON).
        classes (Sequence[str], optional): The class list, in order; by
            default the labels found, sorted.
        stuff (Sequence[str]): Labels to treat as stuff.

    Returns:
        Export: The images in file-name order.
    """
    files = sorted(
        osp.join(root, name) for root, _, names in os.walk(folder)
        for name in names if name.endswith('.json'))
    if not files:
        raise CustomDatasetError(f'{folder}: no labelme .json files')
    samples, names, found = [], {}, set()
    for path in files:
        data = _read_json(path)
        if 'shapes' not in data or 'imagePath' not in data:
            raise CustomDatasetError(
                f'{path}: not a labelme file (no "shapes" / "imagePath")')
        image_path = osp.join(osp.dirname(path), data['imagePath'])
        height, width = _image_size(image_path, path)
        if (data.get('imageHeight'), data.get('imageWidth')) != (height,
                                                                 width):
            raise CustomDatasetError(
                f'{path}: imageWidth x imageHeight is '
                f'{data.get("imageWidth")}x{data.get("imageHeight")}, the '
                f'image {image_path} is {width}x{height}')
        sample = Sample(
            _unique_name(image_path, names), image_path, height, width)
        groups: Dict[tuple, Region] = {}
        for index, shape in enumerate(data['shapes']):
            context = f'{path}: shape {index} ({shape.get("label")!r})'
            label = shape.get('label')
            if not label:
                raise CustomDatasetError(f'{context}: no label')
            if classes is not None and label not in classes:
                raise CustomDatasetError(
                    f'{context}: label {label!r} is not in the class list '
                    f'{list(classes)}')
            found.add(label)
            polygon = _check_polygon(
                _labelme_polygon(shape, context), height, width, context)
            group = shape.get('group_id')
            key = (label, group) if group is not None else (label, 'shape',
                                                            index)
            if key in groups:
                groups[key].polygons.append(polygon)
            else:
                groups[key] = Region(label, [polygon], source=context)
                sample.regions.append(groups[key])
        samples.append(sample)
    class_list = list(classes) if classes is not None else sorted(found)
    _check_class_count(class_list)
    return Export(class_list, _things(class_list, stuff), samples, folder)


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
    _check_class_count(classes)
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
        height, width = _image_size(path, image_dir)
        name = _unique_name(path, names)
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
