# The R50 config with Mask2Former's Swin-T backbone and its optimiser keys.
_base_ = [
    './mask2former_r50_8xb2-lsj-50e_coco-panoptic.py',
    '../_base_/models/swin-t-p4-w7_mask2former.py'
]
model = _base_.swin_t_panoptic_model
optim_wrapper = _base_.swin_t_optim_wrapper
