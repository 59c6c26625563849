# DEPICT-SA (arXiv 2411.03033) on the FPN's stride 16 map, the ViT-T
# setting of configs/depict/ (192-wide tokens, 3 layers of 3 subspaces).
_base_ = './fcn_efficientnet-lite0_1xb8-1k_camvid-256x256.py'
model = dict(
    decode_head=dict(
        _delete_=True,
        type='DEPICTHead',
        mode='sa',
        in_channels=192,
        in_index=0,
        num_classes=11,
        num_layers=3,
        num_heads=3,
        dim_head=100,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
