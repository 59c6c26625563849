# Segmenter with twice the shared schedule (2000 steps): it learns more
# slowly than the other heads, not worse in the end (configs/camvid/README.md).
_base_ = './segmenter_efficientnet-lite0_1xb8-1k_camvid-256x256.py'
num_iters = 2000
param_scheduler = [
    _base_.param_scheduler[0],  # the warm-up
    dict(_base_.param_scheduler[1], end=num_iters)  # poly decay to the end
]
train_cfg = dict(max_iters=num_iters, val_interval=num_iters)
default_hooks = dict(checkpoint=dict(interval=num_iters // 4))
