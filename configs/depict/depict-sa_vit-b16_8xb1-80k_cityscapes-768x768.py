_base_ = [
    '../_base_/models/depict_vit-b16.py',
    '../_base_/datasets/cityscapes_768x768.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_80k.py'
]
crop_size = (768, 768)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(img_size=crop_size),
    decode_head=dict(num_classes=19),
    test_cfg=dict(crop_size=crop_size, stride=(512, 512)))
# The Segmenter recipe uses a 10x larger learning rate on Cityscapes.
optim_wrapper = dict(optimizer=dict(lr=1e-2))
