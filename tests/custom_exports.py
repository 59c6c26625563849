"""The same generated scenes as a COCO instances export (polygons, RLE, a
crowd region) and as a labelme export, for tests/test_custom_dataset.py."""
import json
import os
import os.path as osp

import cv2
import numpy as np
from pycocotools import mask as mask_utils

CATEGORIES = ['car', 'person', 'road', 'sky']  # road, sky: stuff
STUFF = ['road', 'sky']
HEIGHT, WIDTH = 64, 96
COLOURS = {
    'car': (200, 40, 40),
    'person': (40, 200, 40),
    'road': (90, 90, 90),
    'sky': (120, 170, 240)
}


def _scene(rng):
    """(label, polygon, as_rle, iscrowd) in painting order."""
    top = int(rng.integers(20, 30))
    bottom = int(rng.integers(38, 46))
    shapes = [('sky', [0, 0, WIDTH, 0, WIDTH, top, 0, top], False, False),
              ('road', [0, bottom, WIDTH, bottom, WIDTH, HEIGHT, 0,
                        HEIGHT], True, False)]
    for k in range(2):  # two cars, the second overlapping the first
        x, y = int(rng.integers(5 + 20 * k,
                                25 + 20 * k)), int(rng.integers(20, 36))
        shapes.append(('car', [x, y, x + 30, y, x + 30, y + 14, x,
                               y + 14], k == 1, False))
    x = int(rng.integers(60, 80))
    shapes.append(('person', [x, 10, x + 10, 10, x + 8, 50, x + 2,
                              50], False, False))
    return shapes


def write_exports(root: str, num_images: int = 6, seed: int = 0):
    """Images under ``root/images``, ``root/coco.json`` and labelme files
    under ``root/labelme`` (next to copies of the images). The first image
    has a crowd region of people (an RLE in COCO, a polygon in labelme)."""
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, 'images'))
    os.makedirs(osp.join(root, 'labelme'))
    images, annotations = [], []
    for index in range(num_images):
        shapes = _scene(rng)
        if index == 0:
            shapes.append(('person', [2, 48, 30, 48, 30, 62, 2,
                                      62], True, True))
        canvas = rng.integers(0, 40, (HEIGHT, WIDTH, 3)).astype(np.uint8)
        for label, polygon, _, _ in shapes:
            mask = mask_utils.decode(
                mask_utils.merge(
                    mask_utils.frPyObjects([polygon], HEIGHT,
                                           WIDTH))).astype(bool)
            canvas[mask] = COLOURS[label]
        name = f'scene_{index:02d}.jpg'
        for folder in ('images', 'labelme'):
            cv2.imwrite(osp.join(root, folder, name), canvas[..., ::-1])
        images.append(
            dict(id=index + 1, file_name=name, height=HEIGHT, width=WIDTH))
        labelme_shapes = []
        for label, polygon, as_rle, crowd in shapes:
            ann = dict(
                id=len(annotations) + 1,
                image_id=index + 1,
                category_id=CATEGORIES.index(label) + 1,
                iscrowd=int(crowd))
            if as_rle:
                rle = mask_utils.merge(
                    mask_utils.frPyObjects([polygon], HEIGHT, WIDTH))
                rle['counts'] = rle['counts'].decode()
                ann['segmentation'] = rle
            else:
                ann['segmentation'] = [polygon]
            ann['area'] = float(
                mask_utils.area(
                    mask_utils.merge(
                        mask_utils.frPyObjects([polygon], HEIGHT, WIDTH))))
            annotations.append(ann)
            points = np.asarray(polygon, float).reshape(-1, 2).tolist()
            labelme_shapes.append(
                dict(
                    label=label,
                    points=points,
                    group_id=None,
                    shape_type='polygon',
                    flags={}))
        with open(osp.join(root, 'labelme', f'scene_{index:02d}.json'),
                  'w') as f:
            json.dump(
                dict(
                    version='5.2.1',
                    flags={},
                    shapes=labelme_shapes,
                    imagePath=name,
                    imageData=None,
                    imageHeight=HEIGHT,
                    imageWidth=WIDTH), f)
    categories = [
        dict(id=i + 1, name=n, supercategory='x')
        for i, n in enumerate(CATEGORIES)
    ]
    with open(osp.join(root, 'coco.json'), 'w') as f:
        json.dump(
            dict(
                images=images, annotations=annotations, categories=categories),
            f)
    return osp.join(root, 'coco.json'), osp.join(root, 'images'), osp.join(
        root, 'labelme')
