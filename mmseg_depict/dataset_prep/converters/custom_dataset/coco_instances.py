"""COCO instances JSON (CVAT, Label Studio, Roboflow): polygons, RLE,
``iscrowd``."""
import os.path as osp
from typing import Optional, Sequence

from .records import (CustomDatasetError, Export, Region, Sample,
                      check_class_count, check_polygon, image_size, read_json,
                      thing_names, unique_name)


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
    data = read_json(ann_file)
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
    check_class_count(classes)
    things = thing_names(classes, stuff, declared_stuff)
    samples, names = {}, {}
    for image in data['images']:
        if image['id'] in samples:
            raise CustomDatasetError(
                f'{ann_file}: image id {image["id"]} appears twice')
        path = osp.join(image_dir, image['file_name'])
        context = f'{ann_file}: image id {image["id"]}'
        height, width = image_size(path, context)
        if (image.get('height'), image.get('width')) != (None, None) and \
                (image.get('height'), image.get('width')) != (height, width):
            raise CustomDatasetError(
                f'{context}: the JSON says {image.get("width")}x'
                f'{image.get("height")}, the image {path} is {width}x'
                f'{height}')
        samples[image['id']] = Sample(
            unique_name(path, names), path, height, width, split=split)
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
                check_polygon(p, sample.height, sample.width, context)
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
