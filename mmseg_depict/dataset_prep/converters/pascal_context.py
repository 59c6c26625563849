"""PASCAL-Context-59 label maps from the official ``trainval_merged.json``,
without the Detail API (git-only): its masks are COCO run-length encodings,
decoded here with pycocotools.

Input, as downloaded: ``VOCdevkit/VOC2010/JPEGImages/*.jpg`` (the VOC2010
trainval archive) and ``trainval_merged.json`` (PASCAL-Context, 59 merged
categories). The JSON holds ``images`` (``image_id``, ``file_name``,
``height``, ``width``, ``phase`` = train / val), ``annos_segmentation``
(``image_id``, ``category_id``, ``segmentation`` RLE) and ``categories``.

Output, the layout mmseg's ``PascalContextDataset59`` reads:

* ``VOC2010/SegmentationClassContext/<stem>.png``: uint8, 0 = background
  (ignored in training and testing), 1..59 = the 59 classes in increasing
  category-id order (the benchmark's order, that of mmseg's class names);
* ``VOC2010/ImageSets/SegmentationContext/{train,val}.txt``: sorted stems.

A pixel covered by several annotations takes the category of the last one
in the file, as the Detail API's ``getMask`` paints them.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmengine.fileio import put_text
from mmengine.utils import track_parallel_progress, track_progress
from pycocotools import mask as mask_utils

from ...fileio import write_image

#: The 59 category ids of PASCAL-Context-59 in ``trainval_merged.json``;
#: label k (1..59) is the k-th smallest, 0 is background.
CONTEXT59_CATEGORY_IDS = (2, 9, 18, 19, 22, 23, 25, 31, 33, 34, 44, 45, 46, 59,
                          65, 68, 72, 80, 85, 98, 104, 105, 113, 115, 144, 158,
                          159, 162, 187, 189, 207, 220, 232, 258, 259, 260,
                          284, 295, 296, 308, 324, 326, 347, 349, 354, 355,
                          360, 366, 368, 397, 415, 416, 420, 424, 427, 440,
                          445, 454, 458)
#: Official split sizes.
SPLIT_SIZES = {'train': 4996, 'val': 5104}


class DetailFormatError(ValueError):
    """The annotation file is not PASCAL-Context's Detail JSON."""


def load_context_json(path: str) -> dict:
    """Read ``trainval_merged.json`` and check the keys the conversion uses."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f"annotation file '{path}' not found; expected PASCAL-Context's "
            'trainval_merged.json')
    try:
        with open(path) as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise DetailFormatError(f"'{path}' is not JSON: {e}") from None
    expected = {
        'images': ('image_id', 'file_name', 'height', 'width', 'phase'),
        'annos_segmentation': ('image_id', 'category_id', 'segmentation'),
    }
    if not isinstance(data, dict):
        raise DetailFormatError(f"'{path}': expected a JSON object with keys "
                                f'{sorted(expected)}')
    for key, fields in expected.items():
        if not isinstance(data.get(key), list):
            raise DetailFormatError(
                f"'{path}' has no list '{key}' (found keys "
                f'{sorted(data)}): not the Detail-format '
                'trainval_merged.json')
        missing = [f for f in fields if data[key] and f not in data[key][0]]
        if missing:
            raise DetailFormatError(
                f"'{path}': entries of '{key}' lack {missing}")
    return data


def _decode(segmentation: dict, height: int, width: int) -> np.ndarray:
    """A binary (H, W) mask from compressed or uncompressed COCO RLE."""
    if isinstance(segmentation.get('counts'), list):
        segmentation = mask_utils.frPyObjects(segmentation, height, width)
    return mask_utils.decode(segmentation)


def context_label_map(image: dict, annotations: List[dict],
                      label_of: Dict[int, int]) -> np.ndarray:
    """The uint8 label map of one image.

    Args:
        image (dict): The image's entry (``file_name``, ``height``,
            ``width``).
        annotations (list[dict]): Its ``annos_segmentation`` entries, in
            file order.
        label_of (dict): Category id -> label (1..59).

    Returns:
        np.ndarray: (height, width) uint8, 0 = background.
    """
    h, w = image['height'], image['width']
    labels = np.zeros((h, w), np.uint8)
    for ann in annotations:
        category = ann['category_id']
        if category not in label_of:
            raise ValueError(
                f"annotation {ann.get('id')} of {image['file_name']} has "
                f'category id {category}, not one of the 59 PASCAL-Context '
                'categories: is this trainval_merged.json?')
        mask = _decode(ann['segmentation'], h, w)
        if mask.shape != (h, w):
            raise ValueError(
                f"annotation {ann.get('id')} of {image['file_name']}: mask "
                f'{mask.shape[0]}x{mask.shape[1]}, image {h}x{w}')
        labels[mask > 0] = label_of[category]
    return labels


def _convert_one(task: Tuple[dict, List[dict], Dict[int, int], str]) -> str:
    image, annotations, label_of, out_dir = task
    stem = osp.splitext(image['file_name'])[0]
    write_image(
        osp.join(out_dir, f'{stem}.png'),
        context_label_map(image, annotations, label_of))
    return stem


def convert_pascal_context(voc2010_root: str,
                           json_path: str,
                           nproc: int = 1,
                           check_images: bool = True) -> Dict[str, int]:
    """Write the label maps and split lists under ``voc2010_root``.

    Args:
        voc2010_root (str): ``VOCdevkit/VOC2010``, holding ``JPEGImages``.
        json_path (str): ``trainval_merged.json``.
        nproc (int): Worker processes.
        check_images (bool): Refuse annotations of images missing from
            ``JPEGImages`` (a wrong or partial archive).

    Returns:
        dict: Number of label maps written per split.
    """
    jpeg_dir = osp.join(voc2010_root, 'JPEGImages')
    if check_images and not osp.isdir(jpeg_dir):
        raise FileNotFoundError(
            f"'{jpeg_dir}' not found: pass the VOC2010 folder of the VOC2010 "
            'trainval archive (VOCdevkit/VOC2010, holding JPEGImages/)')
    data = load_context_json(json_path)
    label_of = {c: k + 1 for k, c in enumerate(CONTEXT59_CATEGORY_IDS)}
    by_image: Dict[int, List[dict]] = {}
    for ann in data['annos_segmentation']:
        by_image.setdefault(ann['image_id'], []).append(ann)
    splits = {
        split: [im for im in data['images'] if im['phase'] == split]
        for split in ('train', 'val')
    }
    # The whole input is checked before anything is written.
    for split, images in splits.items():
        if check_images:
            missing = [
                im['file_name'] for im in images
                if not osp.isfile(osp.join(jpeg_dir, im['file_name']))
            ]
            if missing:
                raise FileNotFoundError(
                    f'{len(missing)} {split} images of {json_path} are not in '
                    f"'{jpeg_dir}', e.g. {missing[:3]}")
        for im in images:
            for ann in by_image.get(im['image_id'], []):
                if ann['category_id'] not in label_of:
                    raise ValueError(
                        f"{json_path}: annotation {ann.get('id')} of "
                        f"{im['file_name']} has category id "
                        f"{ann['category_id']}, not one of the 59 "
                        'PASCAL-Context categories: is this '
                        'trainval_merged.json?')
    out_dir = osp.join(voc2010_root, 'SegmentationClassContext')
    list_dir = osp.join(voc2010_root, 'ImageSets', 'SegmentationContext')
    os.makedirs(out_dir, exist_ok=True)
    os.makedirs(list_dir, exist_ok=True)
    counts = {}
    for split, images in splits.items():
        tasks = [(im, by_image.get(im['image_id'], []), label_of, out_dir)
                 for im in images]
        print(f'PASCAL-Context {split}: {len(tasks)} label maps')
        if nproc > 1:
            stems = track_parallel_progress(_convert_one, tasks, nproc)
        else:
            stems = track_progress(_convert_one, tasks)
        put_text(''.join(f'{s}\n' for s in sorted(stems)),
                 osp.join(list_dir, f'{split}.txt'))
        counts[split] = len(stems)
    return counts


def official_count_note(counts: Dict[str, int]) -> Optional[str]:
    """A note when the split sizes differ from the official ones."""
    off = {s: n for s, n in counts.items() if n != SPLIT_SIZES[s]}
    if not off:
        return None
    return ('split sizes ' + ', '.join(f'{s} {n}' for s, n in off.items()) +
            ' differ from the official ' + ', '.join(f'{s} {SPLIT_SIZES[s]}'
                                                     for s in off))
