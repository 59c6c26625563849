_base_ = [
    '../_base_/models/depict_vit-b16.py', '../_base_/datasets/ade20k.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_160k.py'
]
crop_size = (512, 512)
model = dict(data_preprocessor=dict(size=crop_size))

# The release's test protocol: resize to (2048, 512) (keep ratio), enlarge
# an image whose shorter side is below the 512 window to 512 (the release
# never pads a window), then slide; multi-scale ratios scale (2048, 512).
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='EnlargeShortSide', min_size=512),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='CheckSegLabelRange', num_classes=150),
    dict(type='PackSegInputs')
]
img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(
                    type='Resize',
                    scale=(int(2048 * r), int(512 * r)),
                    keep_ratio=True) for r in img_ratios
            ],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ],
            [dict(type='EnlargeShortSide', min_size=512)],
            [dict(type='LoadAnnotations', reduce_zero_label=True)],
            [dict(type='CheckSegLabelRange', num_classes=150)],
            [dict(type='PackSegInputs')],
        ])
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
