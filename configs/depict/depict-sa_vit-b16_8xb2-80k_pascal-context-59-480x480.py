_base_ = [
    '../_base_/models/depict_vit-b16.py',
    '../_base_/datasets/pascal_context_59.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_80k.py'
]
crop_size = (480, 480)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(img_size=crop_size),
    decode_head=dict(num_classes=59),
    test_cfg=dict(crop_size=crop_size, stride=(320, 320)))
