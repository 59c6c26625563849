# The R50 config with Mask2Former's Swin-T backbone and its optimiser keys.
_base_ = [
    './mask2former_r50_8xb2-160k_ade20k-512x512.py',
    '../_base_/models/swin-t-p4-w7_mask2former.py'
]
model = _base_.swin_t_semantic_model
optim_wrapper = _base_.swin_t_optim_wrapper
