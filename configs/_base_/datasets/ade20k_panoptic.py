# ADE20K panoptic (100 things, 50 stuff;
# tools/dataset_converters/ade20k_panoptic.py)
# for mmdet's runner: random 0.5-2x of shorter side 640, 640 crops, flip.
_base_ = ['./coco_panoptic.py', './ade20k_panoptic_sets.py']
# (replacing coco_panoptic.py's)
dataset_type = _base_.ade20k_panoptic_train.type
data_root = _base_.ade20k_panoptic_train.data_root
crop_size = (640, 640)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadCocoPanopticAnnotations'),
    dict(
        type='RandomResize',
        scale=(2560, 640),
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
    dict(type='Resize', scale=(2560, 640), keep_ratio=True),
    dict(type='LoadCocoPanopticAnnotations'),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'seg_map_path', 'segments_info',
                   'instances'))
]
train_dataloader = dict(
    dataset=dict(_base_.ade20k_panoptic_train, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(_base_.ade20k_panoptic_val, pipeline=test_pipeline))
test_dataloader = val_dataloader
