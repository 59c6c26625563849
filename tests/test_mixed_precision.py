"""Mixed precision (``tools/train.py --amp [fp16|bf16]``).

Under fp16 autocast mmdet 3.3.0's Mask2Former head loses its mask loss and
its matching; ours (AmpMask2FormerHead / AmpMask2FormerSegHead,
Float32MSDeformAttnPixelDecoder) does not; every head computes finite losses
under fp16 and bf16 autocast; ``--amp bf16`` builds mmengine's wrapper
without loss scaling.

CPU autocast runs linear / einsum / conv in the low precision as CUDA does
(and keeps some reductions in it that CUDA runs in float32: a stricter
proxy). The stock head is run alongside, so each test shows the upstream
failure it guards against."""
import math
import os.path as osp

import pytest
import torch
from mmdet.models.task_modules.assigners import CrossEntropyLossCost
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmseg_depict.cli import enable_amp
from mmseg_depict.utils.model_analysis import build_model
from tests.common import CONFIGS, load_unformatted_config, small_config

PANOPTIC = 'mask2former/mask2former_r50_8xb2-lsj-50e_coco-panoptic.py'
SEMANTIC = 'mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py'
QUERIES, SIZE = 100, 64


def _head(config: str, stock: bool):
    """The config's Mask2Former head (train_cfg included), or mmdet's /
    mmseg's stock head with the same arguments and weights."""
    cfg = Config.fromfile(osp.join(CONFIGS, config))
    if cfg.default_scope == 'mmdet':
        from mmdet.registry import MODELS
        head_cfg = cfg.model.panoptic_head.copy()
        head_cfg.update(train_cfg=cfg.model.train_cfg)
        stock_types = ('Mask2FormerHead', 'MSDeformAttnPixelDecoder')
    else:
        from mmseg.registry import MODELS
        head_cfg = cfg.model.decode_head.copy()
        stock_types = ('Mask2FormerHead', 'mmdet.MSDeformAttnPixelDecoder')
    init_default_scope(cfg.default_scope)
    if stock:
        head_cfg.type, head_cfg.pixel_decoder.type = stock_types
    torch.manual_seed(0)
    return MODELS.build(head_cfg)


def _predictions_and_targets(num_masks: int, num_classes: int):
    """One image: class and mask logits of the queries, ``num_masks``
    ground-truth masks (separated squares, so the fp32 and fp16 matchings
    agree)."""
    gen = torch.Generator().manual_seed(num_masks)
    cls_scores = torch.randn(1, QUERIES, num_classes + 1, generator=gen) * 2
    mask_preds = torch.randn(1, QUERIES, SIZE, SIZE, generator=gen) * 3
    masks = torch.zeros(num_masks, SIZE, SIZE, dtype=torch.bool)
    for k in range(num_masks):
        y, x = torch.randint(0, SIZE - 12, (2, ), generator=gen)
        masks[k, y:y + 12, x:x + 12] = True
    labels = torch.randint(0, num_classes, (num_masks, ), generator=gen)
    return cls_scores, mask_preds, [InstanceData(labels=labels, masks=masks)]


def _losses(head, cls_scores, mask_preds, gts, dtype=None):
    """``_loss_by_feat_single`` in float32 or under ``dtype`` autocast (the
    head's outputs in that dtype, as the network gives them); returns the
    three losses and the gradient of ``loss_mask`` on the mask logits."""
    cls_scores = cls_scores.clone().requires_grad_()
    mask_preds = mask_preds.clone().requires_grad_()
    torch.manual_seed(1)  # the same sampled points in every run
    with torch.autocast(
            'cpu', dtype=dtype or torch.float16, enabled=dtype is not None):
        low = (lambda t: t.to(dtype)) if dtype else (lambda t: t)
        losses = head._loss_by_feat_single(
            low(cls_scores), low(mask_preds), gts,
            [dict(img_shape=(SIZE, ) * 2)])
    losses[1].backward()
    return [loss.float().item() for loss in losses], mask_preds.grad


@pytest.mark.parametrize('config', [PANOPTIC, SEMANTIC])
@pytest.mark.parametrize('num_masks', [6, 12, 30])
def test_mask_losses_under_fp16(config, num_masks):
    ours, stock = _head(config, stock=False), _head(config, stock=True)
    data = _predictions_and_targets(num_masks, ours.num_classes)
    reference, reference_grad = _losses(ours, *data)
    assert reference == _losses(stock, *data)[0]  # the same head in fp32
    fp16, grad = _losses(ours, *data, dtype=torch.float16)
    for name, got, want in zip(('cls', 'mask', 'dice'), fp16, reference):
        assert math.isfinite(got) and got == pytest.approx(
            want, rel=1e-2), (name, got, want)
    assert grad.abs().sum() > 0
    # The uncertain points are picked from fp16-rounded logits, so a few
    # differ; the gradient as a whole is the float32 one.
    assert grad.norm().item() == pytest.approx(
        reference_grad.norm().item(), rel=1e-2)
    # mmdet 3.3.0: the normaliser num_masks * 12544 is inf in fp16, so the
    # mask loss is 0 (no gradient) or nan.
    stock_fp16, stock_grad = _losses(stock, *data, dtype=torch.float16)
    assert not stock_fp16[1] == pytest.approx(reference[1], rel=1e-2)
    assert not stock_grad.abs().sum() > 0


def test_matching_under_fp16_with_confident_logits():
    """Every query sure a full-image mask is background (logit -6): the BCE
    cost sums 6 over 12544 points, beyond fp16's 65504."""
    ours, stock = _head(PANOPTIC, stock=False), _head(PANOPTIC, stock=True)
    gen = torch.Generator().manual_seed(0)
    cls_score = torch.randn(QUERIES, ours.num_classes + 1, generator=gen)
    mask_pred = torch.full((QUERIES, SIZE, SIZE), -6.0)
    mask_pred[:, :SIZE // 2] += torch.rand(QUERIES, 1, 1, generator=gen)
    masks = torch.zeros(3, SIZE, SIZE, dtype=torch.bool)
    masks[0] = True
    masks[1, :20, :20] = True
    masks[2, 40:, 30:] = True
    gts = InstanceData(labels=torch.tensor([1, 2, 3]), masks=masks)
    meta = dict(img_shape=(SIZE, SIZE))

    def assigned(head, fp16):
        torch.manual_seed(1)
        with torch.autocast('cpu', dtype=torch.float16, enabled=fp16):
            targets = head._get_targets_single(
                cls_score.half() if fp16 else cls_score,
                mask_pred.half() if fp16 else mask_pred, gts, meta)
        return targets[6].pos_inds.tolist(), \
            targets[6].pos_assigned_gt_inds.tolist()

    assert assigned(ours, fp16=True) == assigned(ours, fp16=False)
    # mmdet's cost in fp16: inf entries, and scipy refuses the matrix.
    points = mask_pred.flatten(1)[:, :12544 // 4].repeat(1, 4).half()
    with torch.autocast('cpu', dtype=torch.float16):
        cost = CrossEntropyLossCost(use_sigmoid=True)(
            InstanceData(masks=points),
            InstanceData(masks=torch.ones(1, points.shape[1])))
    assert torch.isinf(cost).all()
    with pytest.raises(ValueError, match='infeasible'):
        assigned(stock, fp16=True)


def test_float32_pixel_decoder_under_fp16():
    ours, stock = _head(PANOPTIC, stock=False), _head(PANOPTIC, stock=True)
    gen = torch.Generator().manual_seed(0)
    feats = [
        torch.randn(1, c, SIZE // s, SIZE // s, generator=gen) for c, s in zip(
            ours.pixel_decoder.in_channels if hasattr(
                ours.pixel_decoder, 'in_channels') else [256, 512, 1024, 2048],
            (4, 8, 16, 32))
    ]
    with torch.no_grad():
        want, want_levels = stock.pixel_decoder(feats)
        with torch.autocast('cpu', dtype=torch.float16):
            got, got_levels = ours.pixel_decoder([f.half() for f in feats])
            stock_fp16, _ = stock.pixel_decoder([f.half() for f in feats])
    assert stock_fp16.dtype == torch.float16  # mmdet's runs in fp16
    assert got.dtype == torch.float32
    # Only the features' fp16 rounding separates ours from float32.
    assert torch.allclose(got, want, atol=5e-2, rtol=1e-2)
    assert all(level.dtype == torch.float32 for level in got_levels)


def test_detr_mask_losses_under_fp16():
    """DETR panoptic's (and DETR-seg's) focal and dice losses sum over every
    pixel of the padded input: before they ran in float32, fp16 autocast at
    512x683 gave focal 0.0 and dice 1.0 with no gradient."""
    cfg = Config.fromfile(
        osp.join(CONFIGS, 'detr_panoptic',
                 'detr-panoptic_r50_8xb2-150e_coco-panoptic.py'))
    head = build_model(cfg)[0].bbox_head
    gen = torch.Generator().manual_seed(0)
    pred = torch.randn(6, 128, 171, generator=gen)
    gt_masks = torch.rand(6, 512, 683, generator=gen) > 0.5

    def losses(fp16):
        logits = pred.clone().requires_grad_()
        with torch.autocast('cpu', dtype=torch.float16, enabled=fp16):
            out = head.loss_masks(logits.half() if fp16 else logits, gt_masks)
        sum(out.values()).backward()
        return {k: v.item() for k, v in out.items()}, logits.grad

    (want, want_grad), (got, grad) = losses(False), losses(True)
    assert got == pytest.approx(want, rel=1e-3)
    assert grad.norm().item() == pytest.approx(
        want_grad.norm().item(), rel=1e-2)


TRAIN_STEP_CONFIGS = {
    'Mask2Former semantic': ('ade20k', SEMANTIC),
    'Mask2Former panoptic': ('coco_panoptic', PANOPTIC),
    'DETR panoptic': ('coco_panoptic', 'detr_panoptic/'
                      'detr-panoptic-mask_r101_8xb2-25e_coco-panoptic.py'),
    'DEPICT-SA': ('ade20k', 'depict/depict-sa_vit-t16_8xb1-160k_ade20k-'
                  '512x512.py'),
}


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
@pytest.mark.parametrize('name', sorted(TRAIN_STEP_CONFIGS))
def test_one_training_step_under_autocast(synthetic_roots, tmp_path, name,
                                          dtype):
    """A real config's losses on two generated images (the config's
    training pipeline and data preprocessor) under autocast."""
    layout, config = TRAIN_STEP_CONFIGS[name]
    cfg = load_unformatted_config(
        small_config(
            layout, synthetic_roots[layout], str(tmp_path), config=config))
    model, task = build_model(cfg)
    model.train()
    dataset = task.registry('DATASETS').build(cfg.train_dataloader.dataset)
    torch.manual_seed(0)
    batch = model.data_preprocessor(
        pseudo_collate([dataset[0], dataset[1]]), training=True)
    with torch.autocast('cpu', dtype=dtype):
        losses = model.loss(batch['inputs'], batch['data_samples'])
    terms = {k: v for k, v in losses.items() if 'loss' in k}
    total = sum(v.float().sum() for v in terms.values())
    for key, value in terms.items():
        assert torch.isfinite(value).all(), (name, key, value)
    assert total > 0
    if not name.startswith('Mask2Former'):
        # R50's backward in fp16 / bf16 is emulated on CPUs without those
        # units (10 s a step against 0.5 s in float32); Mask2Former's head
        # gradients under fp16 are checked in test_mask_losses_under_fp16.
        total.backward()


def _quick_start_config():
    return Config.fromfile(
        osp.join(CONFIGS, 'depict',
                 'depict-sa_vit-t16_8xb1-160k_ade20k-512x512.py'))


def test_amp_needs_cuda_and_names_the_precision():
    from tools.train import parse_args
    assert parse_args(['x.py', '--amp']).amp == 'fp16'
    assert parse_args(['x.py', '--amp', 'bf16']).amp == 'bf16'
    assert parse_args(['x.py']).amp is None
    with pytest.raises(SystemExit):
        parse_args(['x.py', '--amp', 'fp8'])
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match='--amp bf16 needs a CUDA'):
            enable_amp(_quick_start_config(), 'bf16')


def test_amp_bf16_without_loss_scaling(monkeypatch):
    """``--amp bf16`` builds mmengine's AmpOptimWrapper with bfloat16
    autocast and a disabled scaler; fp16 keeps dynamic scaling; a GPU
    without bfloat16 is refused by name."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.optim.optimizer import amp_optimizer_wrapper

    def amp_config(precision, bf16_supported=True):
        cfg = _quick_start_config()
        with monkeypatch.context() as gpu:
            gpu.setattr(torch.cuda, 'is_available', lambda: True)
            gpu.setattr(torch.cuda, 'get_device_name', lambda: 'Tesla V100')
            gpu.setattr(torch.cuda, 'is_bf16_supported',
                        lambda: bf16_supported)
            enable_amp(cfg, precision)
        return cfg

    with pytest.raises(RuntimeError, match=r'Tesla V100.*bfloat16'):
        amp_config('bf16', bf16_supported=False)
    assert amp_config('fp16').optim_wrapper.loss_scale == 'dynamic'
    cfg = amp_config('bf16')
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    # mmengine's wrapper asserts a GPU when built; the scaler itself is
    # device-free when disabled, which is what bf16 asks for.
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available',
                        lambda: True)
    model = torch.nn.Linear(2, 1)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert wrapper.cast_dtype == torch.bfloat16
    assert not wrapper.loss_scaler.is_enabled()
    before = model.weight.detach().clone()
    wrapper.update_params(model(torch.ones(1, 2)).sum())
    assert not torch.equal(model.weight, before)  # stepped, unscaled
