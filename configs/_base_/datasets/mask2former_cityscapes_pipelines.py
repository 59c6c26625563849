# mmseg's Mask2Former Cityscapes pipelines (its mask2former_r50 config and
# Cityscapes base) with our label check after every LoadAnnotations. Names
# carry an `m2f_` prefix so that this file can sit beside the mmseg base that
# defines the plain ones; the configs assign them.
m2f_num_classes = 19
m2f_crop_size = (512, 1024)
m2f_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegLabelRange', num_classes=m2f_num_classes),
    dict(
        type='RandomChoiceResize',
        scales=[int(1024 * x * 0.1) for x in range(5, 21)],
        resize_type='ResizeShortestEdge',
        max_size=4096),
    dict(type='RandomCrop', crop_size=m2f_crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
m2f_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 1024), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegLabelRange', num_classes=m2f_num_classes),
    dict(type='PackSegInputs')
]
m2f_tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='Resize', scale_factor=r, keep_ratio=True)
                for r in [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
            ],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ],
            [dict(type='LoadAnnotations')],
            [dict(type='CheckSegLabelRange', num_classes=m2f_num_classes)],
            [dict(type='PackSegInputs')],
        ])
]
