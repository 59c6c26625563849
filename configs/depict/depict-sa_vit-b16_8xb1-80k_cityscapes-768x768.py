_base_ = [
    '../_base_/models/depict_vit-b16.py',
    '../_base_/datasets/cityscapes_768x768.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_80k.py'
]
crop_size = (768, 768)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(img_size=crop_size),
    decode_head=dict(num_classes=19),
    test_cfg=dict(crop_size=crop_size, stride=(512, 512)))
# The Segmenter recipe uses a 10x larger learning rate on Cityscapes.
optim_wrapper = dict(optimizer=dict(lr=1e-2))

# The release's test protocol: resize to (2048, 1024) (keep ratio), enlarge
# an image whose shorter side is below the 768 window to 768 (the release
# never pads a window), then slide; multi-scale ratios scale (2048, 1024).
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 1024), keep_ratio=True),
    dict(type='EnlargeShortSide', min_size=768),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegLabelRange', num_classes=19),
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
                    scale=(int(2048 * r), int(1024 * r)),
                    keep_ratio=True) for r in img_ratios
            ],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ],
            [dict(type='EnlargeShortSide', min_size=768)],
            [dict(type='LoadAnnotations')],
            [dict(type='CheckSegLabelRange', num_classes=19)],
            [dict(type='PackSegInputs')],
        ])
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
