# mmseg's Mask2Former recipe (mmdet's Mask2FormerHead,
# MSDeformAttnPixelDecoder, HungarianAssigner and losses), with the head's
# matching, losses and pixel decoder in float32 so that `--amp` trains; our
# registries are loaded so the same runner can switch decode heads. The
# pipelines gain our label check (CheckSegLabelRange), as in every config of
# ours.
_base_ = [
    'mmseg::mask2former/mask2former_r50_8xb2-90k_cityscapes-512x1024.py',
    '../_base_/datasets/mask2former_cityscapes_pipelines.py',
    '../_base_/safe_training_hooks.py'
]
custom_imports = dict(imports=['mmseg_depict'], allow_failed_imports=False)

model = dict(
    decode_head=dict(
        type='AmpMask2FormerSegHead',
        pixel_decoder=dict(type='mmdet.Float32MSDeformAttnPixelDecoder')))

# Our training hooks (../_base_/safe_training_hooks.py).
default_hooks = _base_.safe_training_hooks

train_pipeline = _base_.m2f_train_pipeline
test_pipeline = _base_.m2f_test_pipeline
tta_pipeline = _base_.m2f_tta_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
