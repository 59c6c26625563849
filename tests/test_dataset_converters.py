"""tools/dataset_converters on tiny inputs in the source layouts: a
hand-made image with known segments, and generated ones checked for
consistency between the written PNGs and JSON."""
import json
import os
import os.path as osp

import cv2
import numpy as np
from mmdet.datasets import ADE20KPanopticDataset

from mmseg_depict.dataset_prep.synthetic import make_ade20k, make_cityscapes
from mmseg_depict.utils import rgb2id
from .common import run_tool

ADE_CLASSES = ADE20KPanopticDataset.METAINFO['classes']


def _write(path, array):
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, array)


def _read_ids(path):
    return rgb2id(cv2.imread(path, cv2.IMREAD_COLOR)[..., ::-1])


def _hand_made_ade20k(root, person_category=4):
    """One 4x6 validation image: wall (ADE150 class 1) on the left, two
    persons (class 13; instance category 4) on the right, other (0) on the
    last row."""
    semantic = np.array([[1, 1, 1, 13, 13, 13], [1, 1, 1, 13, 13, 13],
                         [1, 1, 1, 13, 13, 13], [0, 0, 0, 0, 0, 0]], np.uint8)
    instance = np.zeros((4, 6, 3), np.uint8)  # RGB
    instance[:3, 3, :2] = (person_category, 1)
    instance[:3, 4:, :2] = (person_category, 2)
    _write(
        osp.join(root, 'images/validation/ADE_val_00000001.jpg'),
        np.zeros((4, 6, 3), np.uint8))
    _write(
        osp.join(root, 'annotations/validation/ADE_val_00000001.png'),
        semantic)
    _write(
        osp.join(root, 'annotations_instance/validation/'
                 'ADE_val_00000001.png'), instance[..., ::-1])
    with open(osp.join(root, 'categoryMapping.txt'), 'w') as f:
        f.write('Instance100\tSceneParsing150\tName\n4\t13\tperson\n')


def test_ade20k_converter_on_hand_made_image(tmp_path):
    root = str(tmp_path / 'ADEChallengeData2016')
    _hand_made_ade20k(root)
    run_tool([
        'tools/dataset_converters/ade20k_panoptic.py', root, '--splits', 'val'
    ])
    with open(osp.join(root, 'ade20k_panoptic_val.json')) as f:
        data = json.load(f)
    assert [c['name'] for c in data['categories']] == list(ADE_CLASSES)
    assert [c['isthing'] for c in data['categories']] == [1] * 100 + [0] * 50
    assert data['images'] == [
        dict(
            id='ADE_val_00000001',
            file_name='ADE_val_00000001.jpg',
            height=4,
            width=6)
    ]
    annotation, = data['annotations']
    segments = {(ADE_CLASSES[s['category_id']], s['area'], tuple(s['bbox']))
                for s in annotation['segments_info']}
    assert segments == {('wall', 9, (0, 0, 3, 3)), ('person', 3, (3, 0, 1, 3)),
                        ('person', 6, (4, 0, 2, 3))}
    ids = _read_ids(
        osp.join(root, 'ade20k_panoptic_val', annotation['file_name']))
    assert (ids[3] == 0).all()  # "other" is VOID
    for s in annotation['segments_info']:
        assert (ids == s['id']).sum() == s['area']


def test_ade20k_converter_rejects_bad_instances(tmp_path):
    root = str(tmp_path / 'ADEChallengeData2016')
    _hand_made_ade20k(root, person_category=7)  # not in categoryMapping.txt
    proc = run_tool([
        'tools/dataset_converters/ade20k_panoptic.py', root, '--splits', 'val'
    ],
                    check=False)
    assert proc.returncode != 0
    assert 'ADE_val_00000001.png: instance 1' in proc.stderr
    assert 'categoryMapping.txt' in proc.stderr
    os.remove(osp.join(root, 'categoryMapping.txt'))
    proc = run_tool(['tools/dataset_converters/ade20k_panoptic.py', root],
                    check=False)
    assert proc.returncode != 0 and 'categoryMapping.txt not found' in \
        proc.stderr


def _assert_png_matches_json(png_dir: str, annotation: dict) -> np.ndarray:
    ids = _read_ids(osp.join(png_dir, annotation['file_name']))
    listed = {s['id']: s['area'] for s in annotation['segments_info']}
    present, areas = np.unique(ids[ids > 0], return_counts=True)
    assert dict(zip(present.tolist(), areas.tolist())) == listed
    return ids


def test_ade20k_converter_on_generated_layout(tmp_path):
    root = make_ade20k(
        str(tmp_path / 'ade'), 2, 2, (48, 64), seed=3, instances=True)
    run_tool(['tools/dataset_converters/ade20k_panoptic.py', root])
    for split in ('train', 'val'):
        with open(osp.join(root, f'ade20k_panoptic_{split}.json')) as f:
            data = json.load(f)
        assert len(data['images']) == len(data['annotations']) == 2
        for annotation in data['annotations']:
            _assert_png_matches_json(
                osp.join(root, f'ade20k_panoptic_{split}'), annotation)
            names = [
                ADE_CLASSES[s['category_id']]
                for s in annotation['segments_info']
            ]
            # Stuff: at most one segment per class.
            stuff = [n for n in names if ADE_CLASSES.index(n) >= 100]
            assert len(stuff) == len(set(stuff)) and 'sky' in stuff


def test_cityscapes_converter_on_hand_made_image(tmp_path):
    """Label ids: road 7, sky 23, person 24, car 26; ``26`` alone is a
    crowd of cars, ``24000``/``24001`` two persons, 0 unlabelled."""
    root = str(tmp_path / 'cityscapes')
    instance_ids = np.array(
        [[23, 23, 23, 23], [24000, 24001, 26, 26], [7, 7, 7, 0]], np.uint16)
    _write(
        osp.join(
            root, 'gtFine/val/lindau/lindau_000000_000019_'
            'gtFine_instanceIds.png'), instance_ids)
    run_tool([
        'tools/dataset_converters/cityscapes_panoptic.py', root, '--splits',
        'val'
    ])
    with open(osp.join(root, 'gtFine/cityscapes_panoptic_val.json')) as f:
        data = json.load(f)
    assert data['images'][0]['id'] == 'lindau_000000_000019'
    names = {c['id']: c['name'] for c in data['categories']}
    annotation, = data['annotations']
    segments = sorted((names[s['category_id']], s['area'], s['iscrowd'])
                      for s in annotation['segments_info'])
    assert segments == [('car', 2, 1), ('person', 1, 0), ('person', 1, 0),
                        ('road', 3, 0), ('sky', 4, 0)]
    ids = _assert_png_matches_json(
        osp.join(root, 'gtFine/cityscapes_panoptic_val'), annotation)
    assert ids[2, 3] == 0


def test_cityscapes_converter_reports_missing_input(tmp_path):
    proc = run_tool(
        ['tools/dataset_converters/cityscapes_panoptic.py',
         str(tmp_path)],
        check=False)
    assert proc.returncode != 0
    assert '_gtFine_instanceIds.png' in proc.stderr


def test_cityscapes_converter_on_generated_layout(tmp_path):
    root = make_cityscapes(
        str(tmp_path / 'cityscapes'), 2, 2, (48, 96), seed=3, instances=True)
    run_tool(['tools/dataset_converters/cityscapes_panoptic.py', root])
    with open(osp.join(root, 'gtFine/cityscapes_panoptic_train.json')) as f:
        data = json.load(f)
    assert sorted(i['id'] for i in data['images']) == [
        'aachen_000000_000019', 'bochum_000001_000019'
    ]
    for annotation in data['annotations']:
        _assert_png_matches_json(
            osp.join(root, 'gtFine/cityscapes_panoptic_train'), annotation)
