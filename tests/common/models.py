"""Small models built directly, for tests that need no config."""
import torch
from mmengine.config import ConfigDict
from mmseg.registry import MODELS as SEG_MODELS


def small_depict_segmentor(crop, stride, batch_size):
    """A small DEPICT-SA ``BatchedSlideEncoderDecoder`` (fused ViT, 2 layers)
    in float64, eval mode, slide test with ``crop`` / ``stride``."""
    torch.manual_seed(0)
    model = SEG_MODELS.build(
        ConfigDict(
            type='BatchedSlideEncoderDecoder',
            backbone=dict(
                type='FusedVisionTransformer',
                img_size=crop,
                patch_size=8,
                embed_dims=32,
                num_layers=2,
                num_heads=2,
                final_norm=True,
                interpolate_mode='bilinear'),
            decode_head=dict(
                type='DEPICTHead',
                mode='sa',
                in_channels=32,
                num_classes=5,
                num_layers=1,
                num_heads=2,
                dim_head=8,
                loss_decode=dict(type='CrossEntropyLoss')),
            test_cfg=dict(
                mode='slide',
                crop_size=crop,
                stride=stride,
                batch_size=batch_size)))
    model.init_weights()
    return model.double().eval()


def without_dropout(module):
    """Every ``nn.Dropout`` off, for comparisons of two implementations in
    training mode. (mmcv 2.1.0's habit of passing one model's attention
    dropout on to the next is fixed on import: upstream_patches.py.)"""
    for m in module.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    return module
