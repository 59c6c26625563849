_base_ = [
    '../_base_/models/depict_vit-b16.py',
    '../_base_/datasets/ade20k_640x640.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_160k.py'
]
crop_size = (640, 640)
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained='pretrain/vit-l16_augreg-in21k-ft-in1k_384.pth',
    backbone=dict(
        img_size=crop_size, embed_dims=1024, num_layers=24, num_heads=16),
    decode_head=dict(in_channels=1024),
    test_cfg=dict(crop_size=crop_size, stride=(608, 608)))
