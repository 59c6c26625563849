"""Bad input fails early with an error naming the file or config key."""
import glob
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from .common import run_tool, small_config


@pytest.fixture
def ade_copy(synthetic_roots, tmp_path):
    """A private copy of the generated ADE20K-layout dataset to damage."""
    return shutil.copytree(synthetic_roots['ade20k'], str(tmp_path / 'ade'))


def train_fails(config, tmp_path, *extra):
    proc = run_tool([
        'tools/train.py', config, '--work-dir',
        str(tmp_path / 'work'), *extra
    ],
                    check=False)
    assert proc.returncode != 0, 'training should have failed'
    assert not glob.glob(str(tmp_path / 'work' / '*.pth'))
    return proc.stderr


def test_missing_data_root(tmp_path):
    missing = str(tmp_path / 'no_such_dir' / 'ADEChallengeData2016')
    err = train_fails(small_config('ade20k', missing, str(tmp_path)), tmp_path)
    assert 'DataConfigError' in err
    assert 'train_dataloader.dataset.data_root' in err
    assert missing in err


def test_image_without_label(ade_copy, tmp_path):
    label = osp.join(ade_copy, 'annotations', 'training',
                     'ADE_train_00000003.png')
    os.remove(label)
    err = train_fails(
        small_config('ade20k', ade_copy, str(tmp_path)), tmp_path)
    assert 'ADE_train_00000003.jpg' in err
    assert f"has no label file '{label}'" in err


def test_label_value_out_of_range(ade_copy, tmp_path):
    # ADE20K stores class k as k + 1: 200 becomes 199, beyond 150 classes.
    for path in glob.glob(osp.join(ade_copy, 'annotations', 'training', '*')):
        label = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        label[10:20, 10:20] = 200
        cv2.imwrite(path, label)
    err = train_fails(
        small_config('ade20k', ade_copy, str(tmp_path)), tmp_path)
    assert 'annotations/training/ADE_train_0000000' in err
    assert 'label values [199]' in err
    assert 'num_classes=150' in err


def test_num_classes_disagrees_with_dataset(synthetic_roots, tmp_path):
    config = small_config('ade20k', synthetic_roots['ade20k'], str(tmp_path))
    err = train_fails(config, tmp_path, '--cfg-options',
                      'model.decode_head.num_classes=19')
    assert 'model.decode_head.num_classes = 19' in err
    assert 'ADE20KDataset) has 150 classes' in err


def test_panoptic_class_counts_disagree_with_dataset(synthetic_roots,
                                                     tmp_path):
    """COCO's 80 things / 53 stuff left in a Cityscapes-panoptic config."""
    config = small_config('cityscapes_panoptic',
                          synthetic_roots['cityscapes_panoptic'],
                          str(tmp_path))
    err = train_fails(config, tmp_path, '--cfg-options',
                      'model.panoptic_head.num_things_classes=80')
    assert 'model.panoptic_head.num_things_classes = 80' in err
    assert 'CityscapesPanopticDataset) has 8 thing_classes' in err


def test_unknown_head_mode_from_config(synthetic_roots, tmp_path):
    config = small_config('ade20k', synthetic_roots['ade20k'], str(tmp_path))
    err = train_fails(config, tmp_path, '--cfg-options',
                      'model.decode_head.mode=xa')
    assert "unknown mode 'xa'" in err and "'sa', 'ca'" in err


def test_synthetic_data_is_deterministic(tmp_path):
    from mmseg_depict.datasets.synthetic import make_cityscapes
    a = make_cityscapes(str(tmp_path / 'a'), 2, 1, (32, 64), seed=3)
    b = make_cityscapes(str(tmp_path / 'b'), 2, 1, (32, 64), seed=3)
    files = sorted(
        osp.relpath(p, a) for p in glob.glob(f'{a}/**/*.png', recursive=True))
    assert len(files) == 6
    for rel in files:
        np.testing.assert_array_equal(
            cv2.imread(osp.join(a, rel), cv2.IMREAD_UNCHANGED),
            cv2.imread(osp.join(b, rel), cv2.IMREAD_UNCHANGED))
