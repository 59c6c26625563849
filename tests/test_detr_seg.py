"""DETRSegHead: DETR's panoptic head as an mmseg decode head, trained from
semantic labels (one segment per class present); switched in for
Mask2FormerHead / DEPICTHead by ``decode_head`` alone."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from .common import CONFIGS, train_and_test_config

SEMANTIC = {
    'ade20k':
    'detr_seg/detr-seg_vit-s16-mln_8xb2-160k_ade20k-512x512.py',
    'cityscapes':
    'detr_seg/detr-seg_r50_8xb2-90k_cityscapes-512x1024.py',
    'pascal_context':
    'detr_seg/detr-seg_r50_8xb2-40k_pascal-context-59-480x480.py',
}


def _head(num_classes=5):
    init_default_scope('mmseg')
    torch.manual_seed(0)
    head = MODELS.build(
        dict(
            type='DETRSegHead',
            in_channels=[8, 16, 32, 64],
            num_classes=num_classes,
            num_queries=10))
    head.init_weights()
    return head


def _inputs(b=2):
    return [
        torch.randn(b, c, 64 // s, 64 // s)
        for c, s in ((8, 4), (16, 8), (32, 16), (64, 32))
    ]


def test_init_weights_initialises_every_part_once():
    """mmengine warns when a module's init_weights runs twice; every part
    ends up initialised."""
    from mmengine.logging import MMLogger
    init_default_scope('mmseg')
    head = MODELS.build(
        dict(
            type='DETRSegHead',
            in_channels=[8, 16, 32, 64],
            num_classes=5,
            num_queries=10))
    messages = []
    logger = MMLogger.get_current_instance()
    handler = type(
        'Collect', (__import__('logging').Handler, ),
        dict(emit=lambda self, record: messages.append(record.getMessage())))()
    logger.addHandler(handler)
    try:
        head.init_weights()
    finally:
        logger.removeHandler(handler)
    assert not [m for m in messages if 'more than once' in m], messages
    assert head.detr.is_init and head.is_init


def test_mask_sum_scores_are_bounded_mixtures_of_query_masks():
    head = _head().eval()
    head.semantic_fusion = 'mask_sum'
    with torch.no_grad():
        scores = head(_inputs())
    assert scores.shape == (2, 5, 16, 16)
    # Each query spreads at most its class mass (<= 1) over the classes.
    assert (scores >= 0).all() and (scores.sum(1) <= 10 + 1e-4).all()


@pytest.mark.parametrize('seed', range(4))
def test_detr_fusion_is_detrs_panoptic_post_processing(seed):
    """The default fusion's arg-max is what DETRPanopticFusion (DETR's
    post-processing, tested against the authors' code) makes of the same
    queries with stuff classes only, no score threshold and no area
    filter; an image without an object query keeps its best one."""
    from mmseg_depict.models.decode_heads.detr_seg_head import DETRSegHead
    from mmseg_depict.models.seg_heads.detr_panoptic_fusion import \
        DETRPanopticFusion
    torch.manual_seed(seed)
    b, q, k = 3, 12, 6
    cls_logits = torch.randn(b, q, k + 1) * 3
    cls_logits[0, :, -1] = 10  # image 0: every query says no-object
    mask_logits = torch.randn(b, q, 9, 11, dtype=torch.float64) * 4
    scores = DETRSegHead._query_votes(cls_logits.softmax(-1), mask_logits)
    assert scores.shape == (b, k, 9, 11)
    fusion = DETRPanopticFusion(
        num_things_classes=0, num_stuff_classes=k, score_thr=0.0, min_area=0)
    for i in range(b):
        index, query_scores, labels = fusion.select(cls_logits[i])
        expected = fusion(query_scores, labels, mask_logits[i, index])
        assert torch.equal(scores[i].argmax(0), expected)
    assert len(fusion.select(cls_logits[0])[0]) == 1


def test_an_unknown_fusion_is_named():
    with pytest.raises(ValueError, match="semantic_fusion='softmax'"):
        MODELS.build(
            dict(
                type='DETRSegHead',
                in_channels=[8, 16, 32, 64],
                num_classes=5,
                semantic_fusion='softmax'))


def test_targets_one_segment_per_class_with_its_box():
    head = _head()
    labels = torch.full((1, 8, 8), 255)
    labels[0, 1:3, 2:6] = 4
    labels[0, 5:, :] = 0
    sample = SegDataSample(gt_sem_seg=PixelData(data=labels))
    targets = head._segment_targets(sample)
    assert targets.labels.tolist() == [0, 4]
    assert targets.bboxes.tolist() == [[0, 5, 8, 8], [2, 1, 6, 3]]
    assert targets.masks.sum((1, 2)).tolist() == [24, 8]


def test_loss_has_box_class_and_mask_terms():
    head = _head()
    samples = []
    for _ in range(2):
        labels = torch.randint(0, 5, (1, 64, 64))
        samples.append(
            SegDataSample(
                gt_sem_seg=PixelData(data=labels),
                metainfo=dict(img_shape=(64, 64))))
    losses = head.loss(_inputs(), samples, dict())
    for key in ('loss_cls', 'loss_bbox', 'loss_iou', 'd0.loss_cls',
                'loss_mask_focal', 'loss_mask_dice'):
        assert torch.isfinite(losses[key])
    sum(losses.values()).backward()
    assert head.detr.mask_head.out_conv.weight.grad is not None


def test_family_differs_in_decode_head_only():
    depict = Config.fromfile(
        osp.join(CONFIGS,
                 'depict/depict-sa_vit-s16-mln_8xb2-160k_ade20k-512x512.py'))
    detr = Config.fromfile(osp.join(CONFIGS, SEMANTIC['ade20k']))
    depict, detr = depict.to_dict(), detr.to_dict()
    depict['model'].pop('decode_head')
    assert detr['model'].pop('decode_head')['type'] == 'DETRSegHead'
    assert depict == detr


RUNS = sorted(SEMANTIC.items()) + [
    ('ade20k', 'detr_seg/detr-seg_r50_8xb2-160k_ade20k-512x512.py')
]


@pytest.mark.parametrize('layout,config', RUNS)
def test_train_then_test(synthetic_roots, tmp_path, layout, config):
    validation, test, _ = train_and_test_config(layout,
                                                synthetic_roots[layout],
                                                config, tmp_path)
    assert 0.0 <= test['mIoU'] <= 100.0
    assert test['mIoU'] == pytest.approx(validation['mIoU'], abs=1e-6)
