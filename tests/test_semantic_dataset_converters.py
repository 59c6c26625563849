"""Semantic dataset preparation from the official source formats, built
here with those formats' own libraries: PASCAL-Context's
trainval_merged.json (pycocotools RLE) and Cityscapes' polygon JSON
(cityscapesscripts' Annotation); converted labels checked pixel by pixel."""
import ast
import json
import os
import os.path as osp

import cv2
import mmseg
import numpy as np
import pytest
from cityscapesscripts.helpers.annotation import Annotation, CsPoly, Point
from pycocotools import mask as mask_utils

from mmseg_depict.dataset_prep.converters import (CONTEXT59_CATEGORY_IDS,
                                                  DetailFormatError,
                                                  convert_pascal_context)
from .common import run_tool


def test_context59_ids_equal_mmsegs_mapping():
    """The 59 ids and their order, against the mapping in mmseg's own
    (Detail-API based) converter, shipped in its package data."""
    path = osp.join(
        osp.dirname(mmseg.__file__), '.mim', 'tools', 'dataset_converters',
        'pascal_context.py')
    tree = ast.parse(open(path).read())
    assign = next(
        n for n in tree.body
        if isinstance(n, ast.Assign) and n.targets[0].id == '_mapping')
    array = assign.value.args[0].args[0]  # np.sort(np.array([...]))
    mapping = sorted(ast.literal_eval(array))
    assert mapping == [0] + list(CONTEXT59_CATEGORY_IDS)


def rle(mask, compressed=True):
    if not compressed:  # uncompressed RLE: run lengths, column-major
        flat = mask.flatten(order='F')
        changes = np.flatnonzero(np.diff(flat)) + 1
        runs = np.diff(np.r_[0, changes, flat.size])
        counts = ([0] if flat[0] else []) + runs.tolist()
        return dict(size=list(mask.shape), counts=counts)
    encoded = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(size=encoded['size'], counts=encoded['counts'].decode())


def make_context(root, bad_category=None):
    """VOC2010/JPEGImages with three images and a trainval_merged.json; the
    expected label maps, painted independently."""
    voc = osp.join(root, 'VOCdevkit', 'VOC2010')
    os.makedirs(osp.join(voc, 'JPEGImages'))
    rng = np.random.default_rng(0)
    images, annos, expected = [], [], {}
    specs = [('2008_000002', 'train', (20, 30)),
             ('2008_000003', 'val', (24, 18)),
             ('2010_000001', 'train', (16, 16))]
    for i, (stem, phase, (h, w)) in enumerate(specs):
        cv2.imwrite(
            osp.join(voc, 'JPEGImages', f'{stem}.jpg'),
            rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
        image_id = int(stem[:4] + stem[5:])
        images.append(
            dict(
                image_id=image_id,
                file_name=f'{stem}.jpg',
                height=h,
                width=w,
                phase=phase))
        labels = np.zeros((h, w), np.uint8)
        for j in range(3):  # overlapping boxes: the later one wins
            cat = int(rng.choice(CONTEXT59_CATEGORY_IDS))
            if bad_category is not None and i == 1 and j == 2:
                cat = bad_category
            mask = np.zeros((h, w), bool)
            y, x = rng.integers(0, h - 4), rng.integers(0, w - 4)
            mask[y:y + h // 2, x:x + w // 2] = True
            annos.append(
                dict(
                    id=len(annos) + 1,
                    image_id=image_id,
                    category_id=cat,
                    iscrowd=0,
                    segmentation=rle(mask, compressed=j != 1)))
            labels[mask] = CONTEXT59_CATEGORY_IDS.index(cat) + 1 \
                if cat in CONTEXT59_CATEGORY_IDS else 0
        expected[stem] = labels
    categories = [
        dict(category_id=c, name=f'class{c}') for c in CONTEXT59_CATEGORY_IDS
    ]
    json_path = osp.join(root, 'VOCdevkit', 'trainval_merged.json')
    with open(json_path, 'w') as f:
        json.dump(
            dict(
                images=images, annos_segmentation=annos,
                categories=categories), f)
    return voc, json_path, expected


def test_pascal_context_labels_and_lists(tmp_path):
    voc, json_path, expected = make_context(str(tmp_path))
    proc = run_tool(
        ['tools/dataset_converters/pascal_context.py', voc, json_path])
    assert 'train: 2 label maps, val: 1 label maps' in proc.stdout
    assert 'differ from the official train 4996, val 5104' in proc.stdout
    for stem, labels in expected.items():
        out = cv2.imread(
            osp.join(voc, 'SegmentationClassContext', f'{stem}.png'),
            cv2.IMREAD_UNCHANGED)
        assert out.dtype == np.uint8 and np.array_equal(out, labels), stem
    lists = osp.join(voc, 'ImageSets', 'SegmentationContext')
    assert open(osp.join(lists, 'train.txt')).read() == \
        '2008_000002\n2010_000001\n'
    assert open(osp.join(lists, 'val.txt')).read() == '2008_000003\n'


def test_pascal_context_bad_inputs_named(tmp_path):
    voc, json_path, _ = make_context(str(tmp_path), bad_category=7)
    with pytest.raises(ValueError, match='2008_000003.jpg has category id 7'):
        convert_pascal_context(voc, json_path)
    with pytest.raises(FileNotFoundError, match='JPEGImages'):
        convert_pascal_context(str(tmp_path), json_path)
    not_detail = str(tmp_path / 'coco.json')
    with open(not_detail, 'w') as f:
        json.dump(dict(images=[], annotations=[]), f)
    with pytest.raises(
            DetailFormatError, match="no list 'annos_segmentation'"):
        convert_pascal_context(voc, not_detail)
    with open(not_detail, 'w') as f:
        f.write('{"images": [')
    with pytest.raises(DetailFormatError, match='is not JSON'):
        convert_pascal_context(voc, not_detail)
    os.remove(osp.join(voc, 'JPEGImages', '2008_000002.jpg'))
    voc_ok, json_ok, _ = voc, json_path, None
    with pytest.raises(
            FileNotFoundError, match=r'1 train images .*2008_000002'):
        convert_pascal_context(voc_ok, json_ok)
    # Nothing is written before the input is known to be whole.
    assert not osp.exists(osp.join(voc, 'ImageSets'))


def write_polygons(path, h, w, objects):
    annotation = Annotation()
    annotation.imgHeight, annotation.imgWidth = h, w
    for label, (x0, y0, x1, y1) in objects:
        poly = CsPoly()
        poly.label = label
        poly.polygon = [
            Point(x0, y0),
            Point(x1, y0),
            Point(x1, y1),
            Point(x0, y1)
        ]
        poly.deleted = 0
        annotation.objects.append(poly)
    os.makedirs(osp.dirname(path), exist_ok=True)
    annotation.toJsonFile(path)


def test_cityscapes_train_ids_from_polygons(tmp_path):
    root = str(tmp_path / 'cityscapes')
    # (label, box) painted in order; trainIds: road 0, car 13, person 11;
    # 'cargroup' is drawn as car; 'ego vehicle' (trainId 255) paints ignore;
    # 'license plate' (id -1) is not drawn.
    objects = [('road', (0, 10, 31, 15)), ('cargroup', (2, 2, 9, 11)),
               ('person', (20, 0, 25, 12)), ('ego vehicle', (0, 14, 31, 15)),
               ('license plate', (4, 4, 6, 5))]
    train_ids = {'road': 0, 'cargroup': 13, 'person': 11, 'ego vehicle': 255}
    expected = np.full((16, 32), 255, np.uint8)
    for label, (x0, y0, x1, y1) in objects:
        if label in train_ids:  # PIL fills the polygon's border too
            expected[y0:y1 + 1, x0:x1 + 1] = train_ids[label]
    for split, city in [('train', 'aachen'), ('val', 'lindau')]:
        write_polygons(
            osp.join(root, 'gtFine', split, city,
                     f'{city}_000000_000019_gtFine_polygons.json'), 16, 32,
            objects)
    proc = run_tool(['tools/dataset_converters/cityscapes.py', root])
    assert 'train: 1 label maps (the official train has 2975)' in proc.stdout
    for split, city in [('train', 'aachen'), ('val', 'lindau')]:
        out = cv2.imread(
            osp.join(root, 'gtFine', split, city,
                     f'{city}_000000_000019_gtFine_labelTrainIds.png'),
            cv2.IMREAD_UNCHANGED)
        assert np.array_equal(out, expected)


def test_cityscapes_bad_inputs_named(tmp_path):
    from mmseg_depict.dataset_prep.converters import convert_cityscapes
    with pytest.raises(FileNotFoundError, match='gtFine_trainvaltest.zip'):
        convert_cityscapes(str(tmp_path))
    bad = str(tmp_path / 'gtFine' / 'train' / 'ulm' /
              'ulm_000000_000019_gtFine_polygons.json')
    write_polygons(bad, 8, 8, [('flying saucer', (0, 0, 3, 3))])
    with pytest.raises(ValueError, match="label 'flying saucer'"):
        convert_cityscapes(str(tmp_path), ['train'])
    with open(bad, 'w') as f:
        json.dump(dict(objects=[]), f)
    with pytest.raises(ValueError, match='not a Cityscapes polygon file'):
        convert_cityscapes(str(tmp_path), ['train'])
    assert sorted(os.listdir(osp.dirname(bad))) == [osp.basename(bad)]
