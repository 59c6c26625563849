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
    # The release slides ADE20K windows without overlap (stride = window).
    test_cfg=dict(crop_size=crop_size, stride=(640, 640)))

# The release's test protocol at 640: resize to (2560, 640) (keep ratio),
# enlarge
# an image whose shorter side is below the 640 window to 640 (the release
# never pads a window), then slide; multi-scale ratios scale (2560, 640).
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2560, 640), keep_ratio=True),
    dict(type='EnlargeShortSide', min_size=640),
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
                    scale=(int(2560 * r), int(640 * r)),
                    keep_ratio=True) for r in img_ratios
            ],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ],
            [dict(type='EnlargeShortSide', min_size=640)],
            [dict(type='LoadAnnotations', reduce_zero_label=True)],
            [dict(type='CheckSegLabelRange', num_classes=150)],
            [dict(type='PackSegInputs')],
        ])
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
