"""EfficientNet-Lite equals ``efficientnet-lite-pytorch``'s own model (the
outside implementation, installed for the tests from tests/requirements.txt)
in float64 on every layer's output, with the released ImageNet weights
converted by our tool, and names real photographs as that model does."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from efficientnet_lite_pytorch import EfficientNet
from mmengine.runner import load_checkpoint
from mmseg.registry import MODELS

from mmseg_depict.converters import (UnknownCheckpointLayout,
                                     convert_efficientnet_lite,
                                     installed_weights)
from mmseg_depict.fileio import safe_torch_load
from mmseg_depict.models.backbones.efficientnet_lite import stage_layout
from .common import run_tool

#: Sizes that exercise TensorFlow's asymmetric "same" padding: odd and even
#: sides, not multiples of 32 (the reference pads dynamically when built
#: with image_size=None; built for 224 it pads every input as a 224 one).
SIZES = [(64, 64), (97, 130), (45, 71)]


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    dst = str(tmp_path_factory.mktemp('lite0') / 'lite0.pth')
    proc = run_tool(['tools/model_converters/efficientnet_lite2mmseg.py', dst])
    assert '4.0' in proc.stdout or 'M parameters' in proc.stdout
    return dst


def reference_model():
    model = EfficientNet.from_name('efficientnet-lite0', image_size=None)
    # strict: every tensor of the released file has a place in the model.
    model.load_state_dict(
        torch.load(installed_weights('lite0'), weights_only=True))
    return model.eval()


def our_backbone(checkpoint, out_indices=tuple(range(9))):
    model = MODELS.build(
        dict(type='EfficientNetLite', arch='lite0', out_indices=out_indices))
    load_checkpoint(model, checkpoint, strict=True)
    return model.eval()


def reference_layers(model, x):
    """The reference's stem, the last block of each stage and the head, as
    its ``extract_features`` computes them."""
    ends, outs, last = [], [], -1
    for repeats, *_ in stage_layout('lite0'):
        last += repeats
        ends.append(last)
    handles = [
        model._blocks[i].register_forward_hook(
            lambda m, args, out: outs.append(out)) for i in ends
    ]
    stem = model._swish(model._bn0(model._conv_stem(x)))
    head = model.extract_features(x)
    for handle in handles:
        handle.remove()
    return [stem, *outs, head]


def test_every_layer_equals_reference_in_float64(converted):
    reference = reference_model().double()
    ours = our_backbone(converted).double()
    strides = [2, 2, 4, 8, 16, 16, 32, 32, 32]
    channels = [32, 16, 24, 40, 80, 112, 192, 320, 1280]
    torch.manual_seed(0)
    for h, w in SIZES:
        x = torch.randn(2, 3, h, w, dtype=torch.float64)
        with torch.no_grad():
            expected = reference_layers(reference, x)
            got = ours(x)
        assert len(got) == len(expected) == 9
        for i, (a, b) in enumerate(zip(got, expected)):
            s = strides[i]
            assert a.shape == b.shape == (2, channels[i], -(-h // s),
                                          -(-w // s)), (i, h, w)
            assert (a - b).abs().max().item() <= 1e-10, (i, h, w)


def test_symmetric_padding_would_differ(converted):
    """The guard behind the equality: PyTorch's symmetric padding on the
    strided convs (what a plain port does) changes the outputs."""
    ours = our_backbone(converted, out_indices=(7, )).double()
    x = torch.randn(1, 3, 64, 64, dtype=torch.float64)
    with torch.no_grad():
        tf_same = ours(x)[0]
        for module in ours.modules():
            if type(module).__name__ == 'Conv2dAdaptivePadding':
                module.__class__ = torch.nn.Conv2d
                module.padding = (module.kernel_size[0] // 2, ) * 2
        symmetric = ours(x)[0]
    assert (tf_same - symmetric).abs().max().item() > 1e-2


def photographs():
    data = pytest.importorskip('skimage.data')
    # RGB photographs bundled with scikit-image, and ImageNet classes any
    # good classifier gives them.
    return [
        (data.chelsea(), set(range(281, 286))),  # a cat: tabby .. Egyptian
        (data.coffee(), {504, 967, 968}),  # coffee mug, espresso, cup
        # A rocket on its launch tower: drilling platform, missile, shuttle.
        (data.rocket(), {540, 657, 812}),
    ]


def test_imagenet_classes_of_real_photographs(converted):
    reference = reference_model()
    ours = our_backbone(converted, out_indices=(8, ))
    classifier = safe_torch_load(converted)['meta']['classifier']
    fc = torch.nn.Linear(1280, 1000)
    fc.load_state_dict(classifier)
    for rgb, expected in photographs():
        image = cv2.resize(rgb, (224, 224), interpolation=cv2.INTER_AREA)
        x = (torch.from_numpy(image.astype(np.float32)).permute(2, 0, 1)[None]
             - 127.0) / 128.0
        with torch.no_grad():
            logits = fc(ours(x)[0].mean((2, 3)))
            reference_logits = reference(x)
        top1 = logits.argmax(1).item()
        assert top1 == reference_logits.argmax(1).item()
        assert top1 in expected, top1
        assert logits.softmax(1).max().item() > 0.3


def test_other_layouts_are_refused():
    source = torch.load(installed_weights('lite0'), weights_only=True)
    with pytest.raises(UnknownCheckpointLayout, match='lite1'):
        # Lite1 has more blocks than the file holds.
        convert_efficientnet_lite(source, 'lite1')
    source['_blocks.0.extra.weight'] = torch.zeros(1)
    with pytest.raises(UnknownCheckpointLayout, match='extra'):
        convert_efficientnet_lite(source, 'lite0')


def test_frozen_batchnorm_and_stages(converted):
    model = MODELS.build(
        dict(
            type='EfficientNetLite',
            norm_eval=True,
            frozen_stages=2,
            init_cfg=dict(type='Pretrained', checkpoint=converted)))
    model.init_weights()
    before = {
        k: v.clone()
        for k, v in model.state_dict().items() if 'running' in k
    }
    model.train()
    out = model(torch.randn(2, 3, 64, 64))
    sum(o.sum() for o in out).backward()
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert all(p.grad is None for p in model.layers[:2].parameters())
    assert all(p.grad is not None for p in model.layers[2].parameters())
    assert [o.shape[1] for o in out] == [24, 40, 112, 320]


def test_bad_arguments_are_named():
    with pytest.raises(KeyError, match='lite9'):
        MODELS.build(dict(type='EfficientNetLite', arch='lite9'))
    with pytest.raises(ValueError, match=r'out_indices \[9\]'):
        MODELS.build(dict(type='EfficientNetLite', out_indices=(2, 9)))


def test_missing_weight_package_is_named(monkeypatch):
    from mmseg_depict.converters import efficientnet_lite as converter
    monkeypatch.setitem(converter.WEIGHT_PACKAGES, 'lite2',
                        'not_installed_lite2_model')
    with pytest.raises(FileNotFoundError, match='not-installed-lite2-model'):
        installed_weights('lite2')
    assert osp.isfile(installed_weights('lite0'))


@pytest.mark.parametrize('arch', ['lite1', 'lite2', 'lite3', 'lite4'])
def test_larger_lite_models_equal_reference(arch):
    """Lite1-4 (width / depth scaled, stem, head and the first and last
    stages' depth not): the reference's randomly initialised model, its
    state dict converted, gives the same final map in float64."""
    torch.manual_seed(0)
    reference = EfficientNet.from_name(
        f'efficientnet-{arch}', image_size=None).eval().double()
    for module in reference.modules():  # BatchNorm statistics that matter
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    backbone, _ = convert_efficientnet_lite(reference.state_dict(), arch)
    ours = MODELS.build(
        dict(type='EfficientNetLite', arch=arch, out_indices=(8, )))
    ours.load_state_dict(backbone, strict=True)
    ours.eval().double()
    x = torch.randn(1, 3, 67, 45, dtype=torch.float64)
    with torch.no_grad():
        expected = reference.extract_features(x)
        got, = ours(x)
    assert got.shape == expected.shape
    # Random weights let the residual stream grow by orders of magnitude
    # before the last ReLU6, so float64 rounding shows at ~1e-8 here; a
    # wrong layer (kernel, stride, padding, width, depth) differs by O(1).
    assert (got - expected).abs().max().item() <= 1e-6
