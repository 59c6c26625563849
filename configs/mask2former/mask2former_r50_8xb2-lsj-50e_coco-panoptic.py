# mmdet's Mask2Former R50 COCO-panoptic recipe, with panopticapi-free
# annotation loading (LoadCocoPanopticAnnotations) and PQ
# (PanopticQualityMetric), and the head's matching, losses and pixel decoder
# in float32 so that `--amp` trains (AmpMask2FormerHead: same parameters as
# mmdet's Mask2FormerHead, identical in float32); everything else is mmdet's
# config.
_base_ = [
    'mmdet::mask2former/mask2former_r50_8xb2-lsj-50e_coco-panoptic.py',
    '../_base_/safe_training_hooks.py'
]
custom_imports = dict(imports=['mmseg_depict'], allow_failed_imports=False)

model = dict(
    panoptic_head=dict(
        type='AmpMask2FormerHead',
        pixel_decoder=dict(type='Float32MSDeformAttnPixelDecoder')))

# Our training hooks (../_base_/safe_training_hooks.py).
default_hooks = _base_.safe_training_hooks

image_size = (1024, 1024)
train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True),
    dict(
        type='LoadCocoPanopticAnnotations',
        with_bbox=True,
        with_mask=True,
        with_seg=True),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomResize',
        scale=image_size,
        ratio_range=(0.1, 2.0),
        keep_ratio=True),
    dict(
        type='RandomCrop',
        crop_size=image_size,
        crop_type='absolute',
        recompute_bbox=True,
        allow_negative_crop=True),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadCocoPanopticAnnotations'),
    dict(
        type='PackDetInputs',
        # PanopticQualityMetric reads the ground truth from these.
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'seg_map_path', 'segments_info'))
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='PanopticQualityMetric')
test_evaluator = val_evaluator
