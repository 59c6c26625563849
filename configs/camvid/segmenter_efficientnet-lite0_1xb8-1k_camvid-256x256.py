# Segmenter's mask transformer (Strudel et al., ICCV 2021; mmseg's
# SegmenterMaskTransformerHead) on the FPN's stride 16 map, its ViT-T
# setting (2 layers, 3 heads, 192 wide).
_base_ = [
    '../_base_/models/efficientnet-lite0_fpn.py', '../_base_/datasets/camvid.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_camvid_cpu.py'
]
model = dict(
    decode_head=dict(
        type='SegmenterMaskTransformerHead',
        in_channels=192,
        in_index=0,
        channels=192,
        num_classes=11,
        num_layers=2,
        num_heads=3,
        embed_dims=192,
        dropout_ratio=0.0,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
