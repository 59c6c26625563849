"""compare_trained_heads.py end to end on two tiny trained models: the
report's numbers are the per-image evaluations', a second run resumes from
the cache, and bad arguments are named."""
import json
import os.path as osp
import shutil

import numpy as np
import pytest
import torch

from mmseg_depict.apis.head_report import select_gallery
from mmseg_depict.apis.per_image_evaluation import evaluate_per_image
from .common import last_checkpoint, run_tool

TOOL = 'tools/analysis_tools/compare_trained_heads.py'


@pytest.fixture(scope='module')
def two_heads(trained, tmp_path_factory):
    """Head A: the trained ADE20K-layout model with two 'seeds' (the
    checkpoint and a copy); head B: its decode head's weights perturbed."""
    config, work_dir = trained['ade20k']
    folder = tmp_path_factory.mktemp('heads')
    seed0 = last_checkpoint(work_dir)
    seed1 = str(folder / 'seed1.pth')
    shutil.copy(seed0, seed1)
    checkpoint = torch.load(seed0, map_location='cpu', weights_only=False)
    generator = torch.Generator().manual_seed(0)
    for key, value in checkpoint['state_dict'].items():
        if key.startswith('decode_head') and value.is_floating_point():
            value.add_(torch.randn(value.shape, generator=generator) * 0.5)
    other = str(folder / 'other.pth')
    torch.save(checkpoint, other)
    return config, [seed0, seed1], other


def test_report_end_to_end_and_resumed(two_heads, tmp_path):
    config, seeds, other = two_heads
    out = str(tmp_path / 'report')
    args = [
        TOOL, '--head', 'A', config, *seeds, '--head', 'B', config, other,
        '--out', out, '--corruptions', 'gaussian_noise', '--severities', '1',
        '5', '--robustness-images', '1', '--noise-sigmas', '0', '0.5',
        '--noise-draws', '2', '--bootstrap', '200', '--cost-shape', '32', '48'
    ]
    proc = run_tool(args)
    assert '[8/9] B other.pth: gaussian_noise-5-1images (evaluating)' in \
        proc.stdout
    assert '[9/9] B other.pth: parameter-noise-1images-seed0-' in proc.stdout
    with open(osp.join(out, 'report.json')) as f:
        report = json.load(f)
    clean_a = evaluate_per_image(config, seeds[0])['metrics']
    clean_b = evaluate_per_image(config, other)['metrics']
    a, b = report['accuracy']['A'], report['accuracy']['B']
    assert a['mIoU']['values'] == pytest.approx(
        [clean_a['mIoU']] * 2, abs=0.005)
    assert a['mIoU']['std'] == 0 and b['mIoU']['std'] is None
    assert b['mIoU']['mean'] == pytest.approx(clean_b['mIoU'], abs=0.005)
    assert b['mBIoU']['mean'] == pytest.approx(clean_b['mBIoU'], abs=0.005)
    pair, = report['pairs']
    assert pair['diff'] == pytest.approx(a['mIoU']['mean'] - b['mIoU']['mean'])
    assert pair['low'] <= pair['diff'] <= pair['high']
    noisy = report['robustness']['A']['mIoU']['gaussian_noise']
    assert set(noisy) == {'1', '5'}
    assert report['robustness_images'] == 1
    noise = report['parameter_noise']['A']
    assert noise['sigmas'] == [0, 0.5] and len(noise['mIoU'][1]) == 2
    assert noise['mIoU'][0] == [noise['clean']] * 2
    with open(osp.join(out, 'report.md')) as f:
        markdown = f.read()
    assert '| A | 2 |' in markdown and 'figures/per_class_iou.png' in markdown
    gallery = report['gallery']
    assert sorted(g['index'] for g in gallery) == [0, 1]  # 2 images
    assert 'heads disagree on' in gallery[0]['why']
    assert set(gallery[0]['accuracy']) == {'A', 'B'}
    assert '## Decoder-parameter noise' in markdown
    assert 'mean over severities 1, 5 per corruption' in markdown
    for name in ('per_class_iou', 'corruptions', 'parameter_noise',
                 'confusion_a', 'confusion_b', 'gallery_01', 'gallery_02'):
        with open(osp.join(out, 'figures', f'{name}.png'), 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'

    again = run_tool(args)  # everything from the cache
    assert 'evaluating' not in again.stdout
    assert again.stdout.count('(cached)') == 9
    with open(osp.join(out, 'report.json')) as f:
        assert json.load(f) == report


def test_bad_arguments_are_named(two_heads, tmp_path):
    config, seeds, _ = two_heads
    proc = run_tool([TOOL, '--head', 'A', config, '--out',
                     str(tmp_path)],
                    check=False)
    assert proc.returncode == 2
    assert 'expected a name, a config and at least one checkpoint' in \
        proc.stderr
    proc = run_tool(
        [TOOL, '--head', 'A', config, 'missing.pth', '--out',
         str(tmp_path)],
        check=False)
    assert proc.returncode == 1
    assert "head 'A': 'missing.pth' not found" in proc.stderr
    proc = run_tool([
        TOOL, '--head', 'A', config, seeds[0], '--out',
        str(tmp_path), '--corruptions', 'fog'
    ],
                    check=False)
    assert "unknown ['fog']" in proc.stderr
    proc = run_tool([
        TOOL, '--head', 'A', config, seeds[0], '--out',
        str(tmp_path), '--noise-sigmas', 'big'
    ],
                    check=False)
    assert "--noise-sigmas: expected numbers or none, got ['big']" in \
        proc.stderr
    assert not np.any([osp.exists(osp.join(tmp_path, 'report.json'))])


def test_gallery_scores_only_pixels_the_split_scores():
    """Disagreement and accuracy leave out the config's ignore index, here
    11 (not mmseg's default 255)."""
    label = np.array([[0, 1, 11, 11]], np.uint8)
    runs = {
        'A':
        dict(
            img_paths=['a.png'],
            label=[label],
            pred=[np.array([[0, 1, 2, 2]], np.uint8)]),
        'B':
        dict(
            img_paths=['a.png'],
            label=[label],
            pred=[np.array([[0, 0, 3, 3]], np.uint8)]),
    }
    gallery = select_gallery(runs, ignore_index=11)
    assert gallery[0]['why'] == 'heads disagree on 50 % of the pixels'
    assert gallery[0]['accuracy'] == {'A': 1.0, 'B': 0.5}
