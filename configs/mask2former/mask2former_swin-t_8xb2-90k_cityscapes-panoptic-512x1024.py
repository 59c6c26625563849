# The R50 config with Mask2Former's Swin-T backbone and its optimiser keys.
_base_ = [
    './mask2former_r50_8xb2-90k_cityscapes-panoptic-512x1024.py',
    '../_base_/models/swin-t-p4-w7_mask2former.py'
]
model = dict(
    backbone=_base_.swin_t_mmdet_backbone,
    panoptic_head=dict(in_channels=_base_.swin_t_channels))
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys=_base_.swin_t_custom_keys, norm_decay_mult=0.0))
