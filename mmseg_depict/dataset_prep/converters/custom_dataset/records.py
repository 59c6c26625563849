"""What every reader of an own export produces (samples of regions,
validated) and the checks they share."""
import json
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from pycocotools import mask as mask_utils

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


def read_json(path: str) -> dict:
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as err:
        raise CustomDatasetError(f'{path}: cannot read ({err})') from err
    except json.JSONDecodeError as err:
        raise CustomDatasetError(f'{path}: not valid JSON ({err})') from err


def image_size(path: str, context: str) -> Tuple[int, int]:
    """(height, width) of a readable image file."""
    if not osp.isfile(path):
        raise CustomDatasetError(f'{context}: image file {path} is missing')
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise CustomDatasetError(
            f'{context}: image file {path} cannot be read as an image')
    return image.shape[:2]


def check_polygon(points: Sequence[float], height: int, width: int,
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


def unique_name(path: str, seen: Dict[str, str]) -> str:
    name = osp.splitext(osp.basename(path))[0]
    if name in seen:
        raise CustomDatasetError(
            f'two images would have the same name {name!r}: {seen[name]} and '
            f'{path}; rename one')
    seen[name] = path
    return name


def thing_names(
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


def check_class_count(classes: List[str]) -> None:
    if len(classes) > MAX_CLASSES:
        raise CustomDatasetError(
            f'{len(classes)} classes: label PNGs are 8-bit here, 0..254 for '
            f'classes and 255 for unlabelled, so at most {MAX_CLASSES} fit. '
            'Merge classes, or convert in parts.')
    if len(set(classes)) != len(classes):
        dupes = sorted({c for c in classes if classes.count(c) > 1})
        raise CustomDatasetError(f'class names repeat: {dupes}')
