"""Decoder-parameter noise (the DEPICT release's robustness figure): each
point equals tools/test.py's path on a checkpoint whose decoder carries the
same noise, although the backbone's features are computed only once."""
import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from mmseg_depict.apis.decoder_parameter_noise import (decoder_noise_curve,
                                                       replayed_features)
from mmseg_depict.apis.per_image_evaluation import evaluate_per_image
from .common import last_checkpoint


def _noisy_checkpoint(config, checkpoint, sigma, seed, path):
    """The checkpoint with N(0, sigma^2) drawn as the curve draws it, added
    to the decode head's parameters; saved at ``path``."""
    model = MODELS.build(Config.fromfile(config).model)
    state = torch.load(checkpoint, map_location='cpu', weights_only=False)
    model.load_state_dict(state['state_dict'])
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.decode_head.parameters():
            p.add_(sigma * torch.randn(
                p.shape, generator=generator, dtype=torch.float64).to(p))
    state['state_dict'] = model.state_dict()
    torch.save(state, path)
    return str(path)


def test_each_point_is_the_test_path_on_a_noisy_checkpoint(trained, tmp_path):
    config, work_dir = trained['ade20k']
    checkpoint = last_checkpoint(work_dir)
    lines = []
    curve = decoder_noise_curve(
        config,
        checkpoint, [0.0, 0.05, 1.0],
        draws=2,
        seed=7,
        split='test',
        progress=lines.append)
    clean = evaluate_per_image(config, checkpoint)['metrics']['mIoU']
    assert curve['clean'] == pytest.approx(clean, abs=0.005)
    assert curve['mIoU'][0] == pytest.approx([clean] * 2, abs=0.005)
    for d in range(2):
        noisy = _noisy_checkpoint(config, checkpoint, 1.0, 7 + d,
                                  tmp_path / f'noisy{d}.pth')
        expected = evaluate_per_image(config, noisy)['metrics']['mIoU']
        assert curve['mIoU'][2][d] == pytest.approx(expected, abs=0.005)
    assert curve['mIoU'][2] != curve['mIoU'][0]  # the noise did something
    assert len(lines) == 2 and lines[0].startswith('  draw 1/2: σ=0 ')
    model = MODELS.build(Config.fromfile(config).model)
    assert curve['parameters'] == sum(p.numel()
                                      for p in model.decode_head.parameters())

    again = decoder_noise_curve(
        config,
        checkpoint, [1.0],
        draws=1,
        seed=7,
        split='test',
        progress=lambda _: None)
    assert again['mIoU'] == [curve['mIoU'][2][:1]]


def test_replayed_features_and_restored_method(trained):
    config, _ = trained['ade20k']
    model = MODELS.build(Config.fromfile(config).model).eval()
    inputs = torch.rand(1, 3, 32, 32)
    calls = []
    original = type(model).extract_feat

    def counted(self, x):
        calls.append(x.shape)
        return original(self, x)

    type(model).extract_feat = counted
    try:
        with replayed_features(model) as start, torch.no_grad():
            start(0)
            first = model.extract_feat(inputs)
            start(0)
            second = model.extract_feat(torch.zeros_like(inputs))
            start(1)
            model.extract_feat(inputs)
        assert len(calls) == 2  # batch 0 once, batch 1 once
        assert all(a is b for a, b in zip(first, second))
        assert 'extract_feat' not in vars(model)
    finally:
        type(model).extract_feat = original


def test_bad_arguments_are_named(trained):
    config, work_dir = trained['ade20k']
    with pytest.raises(ValueError, match='draws must be at least 1'):
        decoder_noise_curve(config, last_checkpoint(work_dir), [0.1], 0)
    with pytest.raises(ValueError, match=r'sigmas must be >= 0, got \[-1\]'):
        decoder_noise_curve(config, last_checkpoint(work_dir), [-1])
