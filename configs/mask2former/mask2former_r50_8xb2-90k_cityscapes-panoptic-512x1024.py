# Mask2Former R50 on Cityscapes-panoptic (8 things, 11 stuff): the
# COCO-panoptic model with the paper's Cityscapes schedule (90k iterations,
# batch 16, poly LR,
# 512x1024 crops, whole 1024x2048 images at test). Data: cityscapesscripts'
# `gtFine/cityscapes_panoptic_{train,val}.json` (see
# tools/dataset_converters/cityscapes_panoptic.py).
_base_ = [
    './mask2former_r50_8xb2-lsj-50e_coco-panoptic.py',
    '../_base_/datasets/cityscapes_panoptic_sets.py'
]

num_things_classes = 8
num_stuff_classes = 11
num_classes = num_things_classes + num_stuff_classes
crop_size = (512, 1024)
model = dict(
    data_preprocessor=dict(batch_augments=[
        dict(
            type='BatchFixedSizePad',
            size=crop_size,
            img_pad_value=0,
            pad_mask=True,
            mask_pad_value=0,
            pad_seg=True,
            seg_pad_value=255)
    ]),
    # The release trains the ResNet's BatchNorm on Cityscapes (SyncBN; COCO
    # and ADE20K keep it frozen).
    backbone=dict(
        norm_cfg=dict(type='SyncBN', requires_grad=True), norm_eval=False),
    panoptic_head=dict(
        num_things_classes=num_things_classes,
        num_stuff_classes=num_stuff_classes,
        loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
    panoptic_fusion_head=dict(
        num_things_classes=num_things_classes,
        num_stuff_classes=num_stuff_classes))

# Files from ../_base_/datasets/cityscapes_panoptic_sets.py (as DETR's); the
# pipelines are the Mask2Former recipe's: float32 images, flip before resize
# and crop, no 'instances' meta (no box metric), as in the COCO config above.
dataset_type = _base_.cityscapes_panoptic_train.type
data_root = _base_.cityscapes_panoptic_train.data_root
train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True),
    dict(type='LoadCocoPanopticAnnotations'),
    dict(type='RandomFlip', prob=0.5),
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
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 1024), keep_ratio=True),
    dict(type='LoadCocoPanopticAnnotations'),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'seg_map_path', 'segments_info'))
]
train_dataloader = dict(
    dataset=dict(_base_.cityscapes_panoptic_train, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(_base_.cityscapes_panoptic_val, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 90000
interval = 5000
param_scheduler = dict(
    _delete_=True,
    type='PolyLR',
    eta_min=0,
    power=0.9,
    begin=0,
    end=max_iters,
    by_epoch=False)
train_cfg = dict(
    max_iters=max_iters,
    val_interval=interval,
    dynamic_intervals=[(max_iters // interval * interval + 1, max_iters)])
