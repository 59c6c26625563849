# CamVid, 11 classes, as the SegNet authors publish it (CamVidDataset: void,
# label 11, is ignored). The network sees the 480x360 photographs enlarged
# 1.5x: tested on the whole image at 720x540 (predictions scored at 480x360,
# the labels' size), trained on random 256x256 crops of images rescaled to
# 0.5x-1.5x of that size. Stride-16 heads resolve small objects this way:
# one DEPICT-SA checkpoint scored 60.1 mIoU at 480x360 input, 65.6 at
# 720x540. Decoded training images stay in memory (CachedTransforms) and
# the batches are made in the training process: on a 2-core CPU a loader
# worker takes its time from the step, and decoding would be 8 % of it.
dataset_type = 'CamVidDataset'
data_root = 'data/CamVid/'
num_classes = 11
img_scale = (720, 540)
crop_size = (256, 256)
train_pipeline = [
    dict(
        type='CachedTransforms',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='CheckSegLabelRange', num_classes=num_classes),
        ]),
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=(0.5, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegLabelRange', num_classes=num_classes),
    dict(type='PackSegInputs')
]
img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5]
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(
                    type='Resize',
                    scale=(int(720 * r), int(540 * r)),
                    keep_ratio=True) for r in img_ratios
            ],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ],
            [dict(type='LoadAnnotations')],
            [dict(type='CheckSegLabelRange', num_classes=num_classes)],
            [dict(type='PackSegInputs')],
        ])
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='train', seg_map_path='trainannot'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='val', seg_map_path='valannot'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
