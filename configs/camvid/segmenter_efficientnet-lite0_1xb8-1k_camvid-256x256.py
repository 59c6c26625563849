# Segmenter's mask transformer (Strudel et al., ICCV 2021; mmseg's
# SegmenterMaskTransformerHead) on the FPN's stride 16 map, its ViT-T
# setting (2 layers, 3 heads, 192 wide).
_base_ = './fcn_efficientnet-lite0_1xb8-1k_camvid-256x256.py'
model = dict(
    decode_head=dict(
        _delete_=True,
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
