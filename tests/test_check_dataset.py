"""tools/misc/check_dataset.py on generated datasets in the real layouts:
clean ones pass (with --skip-counts: they are small), every kind of damage
is reported with its file and a non-zero exit."""
import glob
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from mmseg_depict.dataset_prep.synthetic import (make_ade20k, make_cityscapes,
                                                 make_pascal_context)
from .common import load_script, run_tool

MAKERS = {
    'ade20k': make_ade20k,
    'cityscapes': make_cityscapes,
    'pascal_context_59': make_pascal_context,
}


class Result:
    """What a run printed and its exit status."""

    def __init__(self, returncode, stdout):
        self.returncode, self.stdout = returncode, stdout


def check(root, dataset, *extra, capsys=None):
    """The tool in this process (its imports are paid once); one test below
    runs the real command line."""
    tool = load_script('tools/misc/check_dataset.py')
    capsys.readouterr()
    code = tool.main([root, '--dataset', dataset, *extra])
    return Result(code, capsys.readouterr().out)


@pytest.mark.parametrize('dataset', sorted(MAKERS))
def test_clean_layout_passes_and_counts_are_compared(dataset, tmp_path,
                                                     capsys):
    root = MAKERS[dataset](str(tmp_path / dataset), 3, 2, size=(32, 48))
    proc = check(root, dataset, '--skip-counts', capsys=capsys)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'no problems found' in proc.stdout
    assert '| train | 3 | 3 |' in proc.stdout
    assert '| val | 2 | 2 |' in proc.stdout
    proc = check(root, dataset, capsys=capsys)
    assert proc.returncode == 1
    assert 'train: 3 images, the official train split has' in proc.stdout


def test_damage_is_named(tmp_path):
    """Through the command line: exit status 1 and the report on stdout."""
    root = make_ade20k(str(tmp_path / 'ade'), 4, 2, size=(32, 48))
    labels = sorted(glob.glob(osp.join(root, 'annotations', 'training', '*')))
    images = sorted(glob.glob(osp.join(root, 'images', 'training', '*')))
    os.remove(labels[0])  # image without label
    cv2.imwrite(labels[1], np.full((32, 48), 151, np.uint8))  # class 151
    cv2.imwrite(labels[2], np.zeros((16, 48), np.uint8))  # wrong size
    cv2.imwrite(labels[3], np.zeros((32, 48, 3), np.uint8))  # RGB label
    with open(osp.join(root, 'annotations', 'training', 'orphan.png'),
              'wb') as f:
        f.write(b'not a png')
    proc = run_tool([
        'tools/misc/check_dataset.py', root, '--dataset', 'ade20k',
        '--skip-counts'
    ],
                    check=False)
    assert proc.returncode == 1
    out = proc.stdout
    assert f"image '{images[0]}' has no label" in out
    assert f"label '{labels[1]}' holds [151]; expected 0..150" in out
    assert f"label '{labels[2]}' is 48x16, its image 48x32" in out
    assert f"label '{labels[3]}' has 3 channels" in out
    assert "label '" + osp.join(root, 'annotations', 'training',
                                'orphan.png') + "' has no image" in out
    assert '| train | 4 | 4 | 20210 | 0 | 0 | 2 | 0 | 1 | 1 | 1 |' in out


def test_wrong_layout_is_named(tmp_path, capsys):
    root = make_cityscapes(str(tmp_path / 'cs'), 2, 1, size=(32, 64))
    proc = check(
        osp.join(root, 'leftImg8bit'),
        'cityscapes',
        '--skip-counts',
        capsys=capsys)
    assert proc.returncode == 1
    assert "folder '" in proc.stdout and 'data/cityscapes' in proc.stdout
    voc = make_pascal_context(str(tmp_path / 'voc'), 2, 1, size=(32, 48))
    os.remove(osp.join(voc, 'ImageSets', 'SegmentationContext', 'val.txt'))
    proc = check(voc, 'pascal_context_59', '--skip-counts', capsys=capsys)
    assert proc.returncode == 1 and 'val.txt\' not found' in proc.stdout


@pytest.mark.parametrize(
    'dataset', ['coco_panoptic', 'ade20k_panoptic', 'cityscapes_panoptic'])
def test_panoptic_layouts(dataset, synthetic_roots, tmp_path, capsys):
    root = str(tmp_path / dataset)
    import shutil
    shutil.copytree(synthetic_roots[dataset], root)
    result = check(root, dataset, '--skip-counts', capsys=capsys)
    assert result.returncode == 0, result.stdout
    assert 'no problems found' in result.stdout
    assert check(root, dataset, capsys=capsys).returncode == 1  # counts
    # A segment painted into one PNG that its JSON entry does not list.
    from mmseg_depict.dataset_prep.prepared_dataset_check import \
        PANOPTIC_LAYOUTS
    from mmseg_depict_light.panoptic_ids import id2rgb, read_panoptic_ids
    png_dir = osp.join(root, PANOPTIC_LAYOUTS[dataset][0]['val'].png_dir)
    png = sorted(glob.glob(osp.join(png_dir, '*.png')))[0]
    ids = read_panoptic_ids(png)
    ids[:2, :2] = 4242
    cv2.imwrite(png, id2rgb(ids)[..., ::-1])
    result = check(root, dataset, '--skip-counts', capsys=capsys)
    assert result.returncode == 1
    assert f"'{png}' holds segment ids [4242]" in result.stdout


def test_custom_dataset_folders(tmp_path, capsys):
    from tests.custom_exports import STUFF, write_exports
    coco, images, _ = write_exports(str(tmp_path / 'export'))
    out = str(tmp_path / 'mine')
    run_tool([
        'tools/dataset_converters/custom_dataset.py', 'coco', coco, '--images',
        images, '--out', out, '--stuff', *STUFF
    ])
    for dataset in ('custom', 'custom_panoptic'):
        result = check(out, dataset, capsys=capsys)  # counts: dataset.json
        assert result.returncode == 0, result.stdout
    label = sorted(glob.glob(osp.join(out, 'semantic', 'val', '*.png')))[0]
    cv2.imwrite(label, np.full((64, 96), 7, np.uint8))  # 4 classes
    result = check(out, 'custom', capsys=capsys)
    assert result.returncode == 1 and f"label '{label}' holds [7]" in \
        result.stdout
