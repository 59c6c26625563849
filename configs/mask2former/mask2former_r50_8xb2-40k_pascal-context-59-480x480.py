# Mask2Former R50 on PASCAL-Context-59 (mmseg has no such config): the ADE20K
# recipe with MaskFormer's PASCAL-Context schedule (40k iterations, batch 16,
# 480 crops from 520) and the PASCAL-Context-59 data.
_base_ = './mask2former_r50_8xb2-160k_ade20k-512x512.py'

num_classes = 59
crop_size = (480, 480)
dataset_type = 'PascalContextDataset59'
data_root = 'data/VOCdevkit/VOC2010/'

model = dict(
    type='BatchedSlideEncoderDecoder',  # windows 4 crops per forward pass
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(
        num_classes=num_classes,
        loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
    test_cfg=dict(
        mode='slide', crop_size=crop_size, stride=(320, 320), batch_size=4))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='CheckSegLabelRange', num_classes=num_classes),
    dict(
        type='RandomResize',
        scale=(520, 520),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(520, 520), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='CheckSegLabelRange', num_classes=num_classes),
    dict(type='PackSegInputs')
]
pascal_context = dict(
    type=dataset_type,
    data_root=data_root,
    data_prefix=dict(
        img_path='JPEGImages', seg_map_path='SegmentationClassContext'))
train_dataloader = dict(
    dataset=dict(
        ann_file='ImageSets/SegmentationContext/train.txt',
        pipeline=train_pipeline,
        **pascal_context))
val_dataloader = dict(
    dataset=dict(
        ann_file='ImageSets/SegmentationContext/val.txt',
        pipeline=test_pipeline,
        **pascal_context))
test_dataloader = val_dataloader

param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0,
        power=0.9,
        begin=0,
        end=40000,
        by_epoch=False)
]
train_cfg = dict(max_iters=40000, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000))
