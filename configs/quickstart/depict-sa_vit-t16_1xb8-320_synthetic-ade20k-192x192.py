# The quick-start job: DEPICT-SA on a ViT-T trained from scratch on CPU, on
# the procedural dataset written in the ADE20K layout by
#   python tools/misc/generate_synthetic_dataset.py ade20k \
#       data/synthetic/ade/ADEChallengeData2016
# Only what differs from the ADE20K recipe is stated: 192 crops of the 256x256
# images (whole-image test), no
# pretrained weights (so AdamW with warm-up instead of SGD), a short schedule.
_base_ = '../depict/depict-sa_vit-t16_8xb1-160k_ade20k-512x512.py'

data_root = 'data/synthetic/ade/ADEChallengeData2016'
crop_size = (192, 192)
num_iters = 320
num_classes = 150

model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(img_size=crop_size, drop_path_rate=0.0),
    test_cfg=dict(mode='whole'))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='CheckSegLabelRange', num_classes=num_classes),
    dict(
        type='RandomResize',
        scale=(256, 256),  # the generated images' size
        ratio_range=(0.75, 1.25),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    # No PhotoMetricDistortion: colour is what tells these classes apart.
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='CheckSegLabelRange', num_classes=num_classes),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys=dict(cls_emb=dict(decay_mult=0.0))))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, begin=0, end=40, by_epoch=False),
    dict(
        type='PolyLR',
        eta_min=1e-5,
        power=0.9,
        begin=40,
        end=num_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=num_iters, val_interval=num_iters)
default_hooks = dict(
    logger=dict(interval=25),
    checkpoint=dict(interval=num_iters, max_keep_ckpts=1))
randomness = dict(seed=0)
