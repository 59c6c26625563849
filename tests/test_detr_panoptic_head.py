"""DETR panoptic mask branch against the release's formulas: attention map,
FPN mask head, mask losses, lean == all-queries, panoptic fusion rules and
batch-independent post-processing."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.registry import MODELS
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import mmseg_depict  # noqa: F401
from mmseg_depict.models.utils import DETRMaskFeatures


@pytest.fixture(autouse=True)
def mmdet_scope():
    init_default_scope('mmdet')


def test_attention_map_matches_formula():
    torch.manual_seed(0)
    attn = MODELS.build(dict(type='MHAttentionMap', num_heads=8))
    attn.init_weights()
    q, memory = torch.randn(2, 5, 256), torch.randn(2, 256, 3, 4)
    padding = torch.zeros(2, 3, 4, dtype=torch.bool)
    padding[1, :, 3:] = True
    out = attn(q, memory, padding)
    assert out.shape == (2, 5, 8, 3, 4)
    # Direct: scores per head, softmax over (heads, y, x) jointly.
    qp = attn.q_linear(q).view(2, 5, 8, 32)
    kp = (torch.einsum('oc,bchw->bohw', attn.k_linear.weight, memory) +
          attn.k_linear.bias[:, None, None]).view(2, 8, 32, 3, 4)
    scores = torch.zeros(2, 5, 8, 3, 4)
    for n in range(8):
        scores[:, :, n] = torch.einsum('bqc,bchw->bqhw', qp[:, :, n],
                                       kp[:, n]) / math.sqrt(32)
    scores[1, :, :, :, 3:] = float('-inf')
    expected = scores.flatten(2).softmax(-1).view_as(scores)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-6)
    assert torch.allclose(out.flatten(2).sum(-1), torch.ones(2, 5))
    assert (out[1, ..., 3:] == 0).all()
    # Per-query form (the lean path) gives the same maps.
    image, query = torch.tensor([1, 0, 1]), torch.tensor([4, 2, 0])
    picked = attn(q[image, query], memory, padding, image_index=image)
    torch.testing.assert_close(picked, out[image, query])
    # mean_one: the same maps times heads x unpadded positions (8 x 12 for
    # image 0, 8 x 9 for image 1), in both paths.
    attn.mean_one = True
    scaled = attn(q, memory, padding)
    count = torch.tensor([96., 72.])[:, None, None, None, None]
    torch.testing.assert_close(scaled, out * count)
    torch.testing.assert_close(
        attn(q[image, query], memory, padding, image_index=image),
        scaled[image, query])
    assert torch.allclose(
        attn(q, memory).flatten(2).mean(-1), torch.ones(2, 5))


def test_sigmoid_attention_maps_do_not_depend_on_image_size():
    """activation='sigmoid': each head's map is the sigmoid of its scaled
    score (the formula above, in float64), so a crop's maps equal the whole
    image's at the same positions; the softmax's do not (the failure the
    option answers: maps learnt on crops change on whole images)."""
    torch.manual_seed(0)
    attn = MODELS.build(
        dict(type='MHAttentionMap', num_heads=8,
             activation='sigmoid')).double()
    attn.init_weights()
    q, memory = torch.randn(2, 5, 256).double(), torch.randn(2, 256, 6,
                                                             8).double()
    padding = torch.zeros(2, 6, 8, dtype=torch.bool)
    padding[1, :, 6:] = True
    out = attn(q, memory, padding)
    qp = attn.q_linear(q).view(2, 5, 8, 32)
    kp = F.conv2d(memory, attn.k_linear.weight[..., None, None],
                  attn.k_linear.bias).view(2, 8, 32, 6, 8)
    scores = torch.einsum('bqnc,bnchw->bqnhw', qp, kp) / math.sqrt(32)
    expected = torch.sigmoid(scores).masked_fill(padding[:, None, None], 0.0)
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)
    crop = attn(q, memory[..., :3, :4])
    torch.testing.assert_close(crop, out[..., :3, :4], rtol=1e-12, atol=0)
    attn.activation = 'softmax'
    attn.mean_one = True
    assert not torch.allclose(
        attn(q, memory[..., :3, :4]), attn(q, memory)[..., :3, :4], rtol=0.1)
    with pytest.raises(ValueError, match='mean_one'):
        MODELS.build(
            dict(type='MHAttentionMap', mean_one=True, activation='sigmoid'))
    with pytest.raises(ValueError, match="activation='tanh'"):
        MODELS.build(dict(type='MHAttentionMap', activation='tanh'))


def test_mask_head_layers_and_output_stride():
    head = MODELS.build(dict(type='FPNMaskHead'))
    conv = lambda i, o, k: i * o * k * k + o  # noqa: E731
    gn = lambda c: 2 * c  # noqa: E731
    expected = (
        conv(264, 264, 3) + gn(264) + conv(264, 128, 3) + gn(128) +
        conv(128, 64, 3) + gn(64) + conv(64, 32, 3) + gn(32) +
        conv(32, 16, 3) + gn(16) + conv(16, 1, 3) + conv(1024, 128, 1) +
        conv(512, 64, 1) + conv(256, 32, 1))
    assert sum(p.numel() for p in head.parameters()) == expected
    feats = [
        torch.randn(2, c, 4 * s, 6 * s)
        for c, s in ((1024, 2), (512, 4), (256, 8))
    ]
    out = head(
        torch.randn(2, 256, 4, 6), torch.randn(3, 8, 4, 6), feats,
        torch.tensor([0, 1, 1]))
    assert out.shape == (3, 32, 48)


def test_mask_head_with_two_fpn_levels_halves_per_step():
    """A transformer on the stride-16 map leaves two finer levels: two
    FPN steps, widths context / 2, / 4, / 8, output at the finest."""
    head = MODELS.build(
        dict(
            type='FPNMaskHead',
            in_channels=32,
            fpn_channels=(40, 24),
            context_channels=64))
    assert [conv[0].out_channels for conv in head.fpn_convs] == [16, 8]
    assert head.out_conv.in_channels == 8
    out = head(
        torch.randn(2, 32, 4, 6), torch.randn(3, 8, 4, 6),
        [torch.randn(2, 40, 8, 12),
         torch.randn(2, 24, 16, 24)], torch.tensor([0, 1, 1]))
    assert out.shape == (3, 16, 24)


def _initialised(**cfg):
    """A module built from ``cfg`` with seed-0 weights."""
    torch.manual_seed(0)
    module = MODELS.build(cfg)
    module.init_weights()
    return module


def _query_map_head(**kwargs):
    return _initialised(
        type='FPNMaskHead',
        in_channels=32,
        query_dim=32,
        fpn_channels=(40, 24),
        context_channels=64,
        **kwargs)


def _query_map_inputs():
    torch.manual_seed(1)
    feature, attention = torch.randn(1, 32, 4, 6), torch.randn(1, 8, 4, 6)
    fpn = [torch.randn(1, 40, 8, 12), torch.randn(1, 24, 16, 24)]
    # Two queries with the same stride-32 maps: DETR's head cannot tell
    # them apart.
    return feature, attention.expand(2, -1, -1, -1), fpn, torch.zeros(
        2, dtype=torch.long), torch.randn(2, 32)


def test_query_maps_tell_apart_queries_of_equal_stride_32_maps():
    feature, attention, fpn, image, queries = _query_map_inputs()
    detr = _query_map_head()(feature, attention, fpn, image, queries)
    torch.testing.assert_close(detr[0], detr[1])
    head = _query_map_head(query_map_levels=(0, ))
    inputs = {}
    head.fpn_convs[0].register_forward_pre_hook(
        lambda module, args: inputs.update(x=args[0]))
    out = head(feature, attention, fpn, image, queries)
    assert out.shape == (2, 16, 24)
    assert (out[0] - out[1]).abs().max() > 1e-3
    # The step's input ends with each query's per-head sigmoid maps over
    # the stride-16 backbone map: sigmoid(q_n . k_n / sqrt(head_dim)).
    attn = head.query_maps['0']
    q = attn.q_linear(queries).view(2, 8, 4)
    k = (torch.einsum('oc,chw->ohw', attn.k_linear.weight, fpn[0][0]) +
         attn.k_linear.bias[:, None, None]).view(8, 4, 8, 12)
    expected = torch.einsum('qnc,nchw->qnhw', q, k).div(2).sigmoid()
    assert inputs['x'].shape == (2, 32 + 8, 8, 12)
    torch.testing.assert_close(inputs['x'][:, 32:], expected)
    assert head.fpn_convs[1][0].in_channels == 16  # only the chosen step


def test_query_maps_need_queries_and_known_levels():
    feature, attention, fpn, image, _ = _query_map_inputs()
    with pytest.raises(ValueError, match='needs the queries'):
        _query_map_head(query_map_levels=(1, ))(feature, attention, fpn, image)
    with pytest.raises(ValueError, match=r'\[2\] are not FPN steps 0..1'):
        _query_map_head(query_map_levels=(0, 2))


def _head(**kwargs):
    return _initialised(
        type='DETRPanopticHead',
        num_things_classes=3,
        num_stuff_classes=2,
        **kwargs)


def _head_inputs(b=2, q=10):
    torch.manual_seed(1)
    return dict(
        hidden=torch.randn(b, q, 256),
        features=DETRMaskFeatures(
            memory=torch.randn(b, 256, 2, 3),
            memory_mask=None,
            feature=torch.randn(b, 256, 2, 3),
            fpn_feats=[
                torch.randn(b, c, 2 * s, 3 * s)
                for c, s in ((1024, 2), (512, 4), (256, 8))
            ]))


@pytest.mark.parametrize('query_map_levels', [(), (0, 2)])
def test_lean_masks_equal_all_query_masks(query_map_levels):
    mask_head = dict(type='FPNMaskHead', query_map_levels=query_map_levels)
    lean = _head(lean=True, mask_head=mask_head)
    full = _head(lean=False, mask_head=mask_head)
    full.load_state_dict(lean.state_dict())
    inputs = _head_inputs()
    image, query = torch.tensor([0, 1, 1, 0]), torch.tensor([3, 3, 9, 0])
    a = lean.mask_logits(**inputs, image_index=image, query_index=query)
    b = full.mask_logits(**inputs, image_index=image, query_index=query)
    assert a.shape == (4, 16, 24)
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_mask_losses_follow_the_spec():
    head = _head()
    pred = torch.randn(3, 4, 4)
    gt = torch.rand(3, 8, 8) > 0.5
    losses = head.loss_masks(pred, gt)
    p = F.interpolate(
        pred[:, None], size=(8, 8), mode='bilinear',
        align_corners=False)[:, 0].flatten(1)
    t = gt.flatten(1).float()
    prob = p.sigmoid()
    ce = F.binary_cross_entropy_with_logits(p, t, reduction='none')
    p_t = prob * t + (1 - prob) * (1 - t)
    alpha_t = 0.25 * t + 0.75 * (1 - t)
    focal = (alpha_t * ce * (1 - p_t)**2).mean(1).sum() / 3
    dice = (1 - (2 * (prob * t).sum(1) + 1) /
            (prob.sum(1) + t.sum(1) + 1)).sum() / 3
    torch.testing.assert_close(losses['loss_mask_focal'], focal)
    torch.testing.assert_close(losses['loss_mask_dice'], dice)


def _assert_same_value_and_gradient(got, want, leaf):
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(
        torch.autograd.grad(got, leaf, retain_graph=True)[0],
        torch.autograd.grad(want, leaf)[0])


def test_mask_softmax_loss_is_the_cross_entropy_over_an_images_queries():
    """PyTorch's cross-entropy, per image, over the softmax of its matched
    queries' upsampled mask logits; pixels of no segment ignored."""
    head = _head(mask_softmax_weight=2.0)
    pred = torch.randn(5, 4, 6, dtype=torch.float64, requires_grad=True)
    image_index = torch.tensor([1, 0, 1, 0, 1])  # 2 and 3 queries
    segment = torch.randint(0, 4, (2, 8, 12))  # 3 = no segment
    gt_masks = torch.stack([
        segment[1] == 0, segment[0] == 0, segment[1] == 1, segment[0] == 1,
        segment[1] == 2
    ])
    got = head.loss_mask_softmax(pred, gt_masks, image_index)
    upsampled = F.interpolate(
        pred[:, None], size=(8, 12), mode='bilinear', align_corners=False)
    want = []
    for image, queries, num_segments in ((0, [1, 3], 2), (1, [0, 2, 4], 3)):
        labels = segment[image].clone()
        labels[labels >= num_segments] = -100  # PyTorch's ignore index
        want.append(F.cross_entropy(upsampled[queries, 0][None], labels[None]))
    _assert_same_value_and_gradient(got, 2.0 * torch.stack(want).mean(), pred)


def test_mask_softmax_loss_over_all_queries_is_the_cross_entropy():
    """``mask_softmax_queries='all'``: PyTorch's cross-entropy over every
    query of the image, the target the query matched to the pixel's
    segment; unmatched queries are candidates that should win no pixel."""
    head = _head(mask_softmax_weight=0.5, mask_softmax_queries='all')
    pred = torch.randn(2, 4, 4, 6, dtype=torch.float64, requires_grad=True)
    image_index = torch.tensor([1, 0, 1])
    query_index = torch.tensor([3, 2, 0])
    segment = torch.randint(0, 3, (2, 8, 12))  # image 0: 1 segment, 1: 2
    gt_masks = torch.stack([segment[1] == 0, segment[0] == 0, segment[1] == 1])
    got = head.loss_mask_softmax(pred, gt_masks, image_index, query_index)
    upsampled = F.interpolate(
        pred, size=(8, 12), mode='bilinear', align_corners=False)
    want = []
    for image, queries in ((0, [2]), (1, [3, 0])):
        labels = torch.full_like(segment[image], -100)
        for k, query in enumerate(queries):
            labels[segment[image] == k] = query
        want.append(F.cross_entropy(upsampled[image][None], labels[None]))
    _assert_same_value_and_gradient(got, 0.5 * torch.stack(want).mean(), pred)


def test_mask_softmax_queries_change_only_the_softmax_loss():
    """Focal, dice, class and box losses are the same whichever queries
    the softmax runs over; the softmax loss over all queries is larger
    (more candidates for each pixel)."""
    inputs = _head_inputs(q=6)
    hidden = torch.randn(6, 2, 6, 256)
    targets = [
        InstanceData(
            labels=torch.tensor([0, 3]),
            bboxes=torch.tensor([[0., 0., 40., 30.], [40., 30., 96., 64.]]),
            masks=torch.stack([
                torch.zeros(64, 96, dtype=torch.bool).index_fill_(
                    0, torch.arange(32), True),
                torch.zeros(64, 96, dtype=torch.bool).index_fill_(
                    0, torch.arange(32, 64), True)
            ]))
    ] * 2
    metas = [dict(img_shape=(64, 96))] * 2
    losses = {}
    for queries in ('matched', 'all'):
        head = _head(mask_softmax_weight=1.0, mask_softmax_queries=queries)
        losses[queries] = head.loss_by_targets(hidden, inputs['features'],
                                               targets, metas)
    matched, every = losses['matched'], losses['all']
    assert matched.keys() == every.keys()
    for key in matched:
        if key != 'loss_mask_softmax':
            torch.testing.assert_close(matched[key], every[key])
    assert every['loss_mask_softmax'] > matched['loss_mask_softmax']


def test_mask_softmax_queries_must_be_known():
    with pytest.raises(ValueError, match="mask_softmax_queries='some'"):
        _head(mask_softmax_queries='some')


def test_mask_softmax_loss_is_off_by_default():
    head = _head()
    losses = head.loss_by_targets(
        torch.randn(6, 2, 100, 256),
        _head_inputs(q=100)['features'], [
            InstanceData(
                labels=torch.tensor([0]),
                bboxes=torch.tensor([[0., 0., 8., 8.]]),
                masks=torch.ones(1, 64, 96, dtype=torch.bool))
        ] * 2, [dict(img_shape=(64, 96))] * 2)
    assert 'loss_mask_dice' in losses and 'loss_mask_softmax' not in losses


def _fusion(**kwargs):
    return MODELS.build(
        dict(
            type='DETRPanopticFusion',
            num_things_classes=2,
            num_stuff_classes=2,
            **kwargs))


def test_fusion_selects_confident_objects():
    fusion = _fusion()
    logits = torch.full((4, 5), -10.)
    logits[0, 0] = 10  # thing 0, confident
    logits[1, 3] = 1  # stuff 3, but not confident (0.55 vs no-object)
    logits[1, 4] = 0.8
    logits[2, 4] = 10  # no-object
    logits[3, 2] = 10  # stuff 2, confident
    index, scores, labels = fusion.select(logits)
    assert index.tolist() == [0, 3] and labels.tolist() == [0, 2]
    # Nothing confident: the best query alone.
    index, _, labels = fusion.select(torch.zeros(4, 5))
    assert len(index) == 1


def test_fusion_argmax_merges_stuff_and_numbers_things():
    fusion = _fusion()
    logits = torch.full((4, 4, 8), -5.)
    logits[0, :, :2] = 5  # thing 1
    logits[1, :, 2:4] = 5  # thing 1 again: a second instance
    logits[2, :, 4:7] = 5  # stuff 3
    logits[3, :, 7:] = 5  # stuff 3 again (4 pixels): merged with query 2
    labels = torch.tensor([1, 1, 3, 3])
    pan = fusion(torch.ones(4), labels, logits)
    assert pan[:, :2].eq(1 + INSTANCE_OFFSET).all()
    assert pan[:, 2:4].eq(1 + 2 * INSTANCE_OFFSET).all()
    assert pan[:, 4:].eq(3).all()


def test_fusion_removes_tiny_segments_until_none_left():
    fusion = _fusion()
    logits = torch.full((3, 4, 4), -5.)
    logits[0] = 5  # thing 0 everywhere...
    logits[1, 0, 0] = 6  # ...but thing 1 wins one pixel: dropped
    logits[2, 1:, 1:] = 6  # stuff 2 wins 9 pixels: kept
    pan = fusion(torch.ones(3), torch.tensor([0, 1, 2]), logits)
    assert (pan % INSTANCE_OFFSET != 1).all()
    assert pan[0, 0] == INSTANCE_OFFSET  # back to thing 0, instance 1
    assert pan[1:, 1:].eq(2).all()


def test_fusion_options_scores_and_void():
    logits = torch.zeros(2, 2, 3)
    logits[0] = 1.0
    logits[1] = 1.2
    scores, labels = torch.tensor([0.99, 0.5]), torch.tensor([2, 3])
    assert _fusion(min_area=0)(scores, labels, logits).eq(3).all()
    with_scores = _fusion(min_area=0, use_scores=True)
    assert with_scores(scores, labels, logits).eq(2).all()
    void = _fusion(min_area=0, void_unassigned=True)
    logits[:, :, 0] = -1  # no mask covers column 0
    pan = void(scores, labels, logits)
    assert pan[:, 0].eq(4).all() and pan[:, 1:].eq(3).all()


def test_post_processing_does_not_depend_on_batch_padding():
    """The same stride-4 logits of a 30x45 image, alone or padded into a
    64x96 batch, give the same output."""
    head = _head()
    logits = torch.randn(2, 8, 12)  # ceil(30 / 4), ceil(45 / 4)
    padded = torch.randn(2, 16, 24)
    padded[:, :8, :12] = logits
    meta = dict(img_shape=(30, 45), ori_shape=(60, 90))
    alone = head._to_image(logits, dict(meta, batch_input_shape=(30, 45)),
                           True)
    batched = head._to_image(padded, dict(meta, batch_input_shape=(64, 96)),
                             True)
    assert alone.shape == (2, 60, 90)
    torch.testing.assert_close(alone, batched)
