# FCN (Long et al., CVPR 2015; mmseg's FCNHead): two 3x3 convs on the FPN's
# stride 16 map, the map the token heads read. The root of configs/camvid/:
# the other heads' configs are this one with another decode_head.
_base_ = [
    '../_base_/models/efficientnet-lite0_fpn.py',
    '../_base_/datasets/camvid.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_camvid_cpu.py'
]
model = dict(
    decode_head=dict(
        type='FCNHead',
        in_channels=192,
        in_index=0,
        channels=192,
        num_convs=2,
        concat_input=True,
        dropout_ratio=0.1,
        num_classes=11,
        norm_cfg=dict(type='BN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
