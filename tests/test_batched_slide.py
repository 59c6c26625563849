"""Batched sliding windows vs mmseg 1.2.2's ``EncoderDecoder.slide_inference``
(the reference: mmseg's own method, run on the same model in float64)."""
import glob
import os.path as osp

import pytest
import torch
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmseg_depict.models import BatchedSlideEncoderDecoder
from tests.common import (CONFIGS, load_unformatted_config,
                          small_depict_segmentor)


def _metas(num_images, shape):
    return [
        dict(ori_shape=shape, img_shape=shape, pad_shape=shape)
        for _ in range(num_images)
    ]


@pytest.mark.parametrize(
    'num_images, shape, crop, stride',
    [
        (1, (80, 112), (48, 48), (32, 32)),  # overlaps, shifted edge crops
        (2, (72, 100), (48, 64), (40, 24)),  # a batch of two, non-square
        (1, (40, 56), (48, 64), (32, 32)),  # image smaller than the crop
        (1, (96, 96), (48, 48), (48, 48)),  # tiled, no overlap
    ])
@pytest.mark.parametrize('own_predict', [False, True])
def test_equals_mmseg_slide_inference(num_images, shape, crop, stride,
                                      own_predict):
    model = small_depict_segmentor(crop, stride, batch_size=1)
    if own_predict:
        # A head with its own ``predict`` (as Mask2Former's) runs the batch
        # through encode_decode whole instead of resizing crop by crop.
        head = model.decode_head
        head.__class__ = type(
            'OwnPredict', (type(head), ),
            dict(predict=lambda self, *args: super(type(self), self).predict(
                *args)))
        whole = []
        real_encode_decode = model.encode_decode
        model.encode_decode = lambda crops, metas: whole.append(len(
            crops)) or real_encode_decode(crops, metas)
    torch.manual_seed(1)
    inputs = torch.randn(num_images, 3, *shape, dtype=torch.float64)
    with torch.no_grad():
        stock_metas = _metas(num_images, shape)
        reference = EncoderDecoder.slide_inference(model, inputs, stock_metas)
        for batch_size in (1, 2, 3, 4, 100):
            model.test_cfg.batch_size = batch_size
            metas = _metas(num_images, shape)
            passes = []
            real = model.extract_feat

            def counted(crops):
                passes.append(crops.shape[0])
                return real(crops)

            model.extract_feat = counted
            logits = model.slide_inference(inputs, metas)
            del model.extract_feat
            assert logits.shape == reference.shape
            assert (logits - reference).abs().max() <= 1e-10, batch_size
            # Same side effect on the metas as mmseg's (img_shape = crop).
            assert metas == stock_metas
            assert max(passes) <= max(batch_size, num_images)
            windows = sum(passes) // num_images
            per_pass = max(1, batch_size // num_images)
            assert len(passes) == -(-windows // per_pass)
            if own_predict:
                assert whole[-len(passes):] == passes


def test_predict_uses_batches():
    """``predict`` (what the inference APIs, tools/test.py and TTA's
    test_step call) reaches the batched windows; `--tta` itself runs on a
    DEPICT config in tests/test_train_test_e2e.py."""
    model = small_depict_segmentor((48, 48), (32, 32), batch_size=4)
    seen = []
    real = model.extract_feat
    model.extract_feat = lambda crops: seen.append(crops.shape[0]) or real(
        crops)
    sample = SegDataSample(metainfo=_metas(1, (80, 112))[0])
    with torch.no_grad():
        out = model.predict(
            torch.randn(1, 3, 80, 112, dtype=torch.float64), [sample])
    assert out[0].seg_logits.data.shape == (5, 80, 112)
    assert seen == [4, 2]  # 6 windows, 4 per pass


@pytest.mark.parametrize('bad', [0, -1, 2.0, True, '4'])
def test_bad_batch_size_is_named(bad):
    model = small_depict_segmentor((48, 48), (32, 32), batch_size=bad)
    with pytest.raises(
            ValueError,
            match=r'model\.test_cfg\.batch_size.*' +
            repr(bad).replace('.', r'\.')):
        model.slide_inference(
            torch.zeros(1, 3, 64, 64, dtype=torch.float64),
            _metas(1, (64, 64)))


def test_slide_configs_batch_their_windows():
    """Every slide config of ours runs batched windows (4 crops a pass)."""
    slide = []
    for path in sorted(glob.glob(osp.join(CONFIGS, '*', '*.py'))):
        if '_base_' in path:
            continue
        cfg = load_unformatted_config(path)
        test_cfg = cfg.model.get('test_cfg') or {}
        if test_cfg.get('mode') != 'slide':
            continue
        slide.append(path)
        assert MODELS.get(cfg.model.type) is BatchedSlideEncoderDecoder, path
        assert test_cfg.batch_size == 4, path
    assert len(slide) >= 26  # 24 DEPICT + Mask2Former R50 / Swin-T PASCAL
