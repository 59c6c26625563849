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
    from mmseg_depict.dataset_prep.synthetic import make_cityscapes
    a = make_cityscapes(str(tmp_path / 'a'), 2, 1, (32, 64), seed=3)
    b = make_cityscapes(str(tmp_path / 'b'), 2, 1, (32, 64), seed=3)
    files = sorted(
        osp.relpath(p, a) for p in glob.glob(f'{a}/**/*.png', recursive=True))
    assert len(files) == 6
    for rel in files:
        np.testing.assert_array_equal(
            cv2.imread(osp.join(a, rel), cv2.IMREAD_UNCHANGED),
            cv2.imread(osp.join(b, rel), cv2.IMREAD_UNCHANGED))


def _truncate(path, keep=1 / 3):
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:int(len(data) * keep)])


def test_check_files_names_every_bad_file_before_training(ade_copy, tmp_path):
    images = osp.join(ade_copy, 'images')
    labels = osp.join(ade_copy, 'annotations')
    cut = osp.join(images, 'training', 'ADE_train_00000002.jpg')
    _truncate(cut)
    resized = osp.join(labels, 'training', 'ADE_train_00000004.png')
    label = cv2.imread(resized, cv2.IMREAD_UNCHANGED)
    cv2.imwrite(resized, label[:-3])
    empty = osp.join(images, 'validation', 'ADE_val_00000001.jpg')
    open(empty, 'wb').close()
    config = small_config('ade20k', ade_copy, str(tmp_path))
    err = train_fails(config, tmp_path, '--check-files')
    assert '3 bad file(s) in the datasets of train_dataloader, ' \
        'val_dataloader' in err
    assert f"image '{cut}' cannot be decoded" in err
    h, w = label.shape[:2]
    assert f"label '{resized}' is {w}x{h - 3}" in err
    assert f"image '{empty}' is empty" in err
    assert 'Iter(train)' not in err


def test_a_bad_file_met_mid_run_names_the_iteration_and_checkpoint(
        ade_copy, tmp_path):
    cut = osp.join(ade_copy, 'images', 'training', 'ADE_train_00000004.jpg')
    _truncate(cut)
    config = small_config(
        'ade20k', ade_copy, str(tmp_path), max_iters=8, checkpoint_interval=1)
    work = tmp_path / 'work'
    proc = run_tool([
        'tools/train.py', config, '--work-dir',
        str(work), '--cfg-options', 'train_dataloader.batch_size=1'
    ],
                    check=False)
    assert proc.returncode != 0
    err = proc.stdout + proc.stderr
    assert cut in err
    print(err[-3000:])
    stopped = int(err.split('training stopped in iteration ')[1].split()[0])
    newest = str(work / f'iter_{stopped - 1}.pth')
    assert 1 < stopped <= 4, 'the shuffled order should reach it in epoch 1'
    assert f'Newest checkpoint: {newest}' in err
    assert not osp.exists(work / f'iter_{stopped}.pth')
