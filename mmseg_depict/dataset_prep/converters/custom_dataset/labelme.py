"""labelme per-image JSON files: ``polygon``, ``rectangle`` and
``circle`` shapes."""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np

from .records import (CIRCLE_VERTICES, CustomDatasetError, Export, Region,
                      Sample, check_class_count, check_polygon, image_size,
                      read_json, thing_names, unique_name)


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
        data = read_json(path)
        if 'shapes' not in data or 'imagePath' not in data:
            raise CustomDatasetError(
                f'{path}: not a labelme file (no "shapes" / "imagePath")')
        image_path = osp.join(osp.dirname(path), data['imagePath'])
        height, width = image_size(image_path, path)
        if (data.get('imageHeight'), data.get('imageWidth')) != (height,
                                                                 width):
            raise CustomDatasetError(
                f'{path}: imageWidth x imageHeight is '
                f'{data.get("imageWidth")}x{data.get("imageHeight")}, the '
                f'image {image_path} is {width}x{height}')
        sample = Sample(
            unique_name(image_path, names), image_path, height, width)
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
            polygon = check_polygon(
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
    check_class_count(class_list)
    return Export(class_list, thing_names(class_list, stuff), samples, folder)
