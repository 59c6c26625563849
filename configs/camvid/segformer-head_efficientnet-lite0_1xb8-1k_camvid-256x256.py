# SegFormer's all-MLP head (Xie et al., NeurIPS 2021; mmseg's SegformerHead)
# on the backbone's four maps: each projected to 128 channels, brought to
# stride 4, fused by a 1x1 conv.
_base_ = './fcn_efficientnet-lite0_1xb8-1k_camvid-256x256.py'
model = dict(
    neck=None,
    decode_head=dict(
        _delete_=True,
        type='SegformerHead',
        in_channels=[24, 40, 112, 320],
        in_index=[0, 1, 2, 3],
        channels=128,
        dropout_ratio=0.1,
        num_classes=11,
        norm_cfg=dict(type='BN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
