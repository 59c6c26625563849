# Cityscapes panoptic (8 things, 11 stuff; cityscapesscripts' JSON + PNGs) for
# mmdet's runner: random 0.5-2x of 1024x2048, 512x1024 crops, flip; whole
# 1024x2048 images at test.
_base_ = ['./coco_panoptic.py', './cityscapes_panoptic_sets.py']
# (replacing coco_panoptic.py's)
dataset_type = _base_.cityscapes_panoptic_train.type
data_root = _base_.cityscapes_panoptic_train.data_root
crop_size = (512, 1024)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadCocoPanopticAnnotations'),
    dict(
        type='RandomResize',
        scale=(2048, 1024),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(
        type='RandomCrop',
        crop_size=crop_size,
        crop_type='absolute',
        recompute_bbox=True,
        allow_negative_crop=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 1024), keep_ratio=True),
    dict(type='LoadCocoPanopticAnnotations'),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'seg_map_path', 'segments_info',
                   'instances'))
]
train_dataloader = dict(
    dataset=dict(_base_.cityscapes_panoptic_train, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(_base_.cityscapes_panoptic_val, pipeline=test_pipeline))
test_dataloader = val_dataloader
