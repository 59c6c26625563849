# Segmenter with twice the shared schedule (2000 steps, about 26 minutes on a
# 2-core CPU): it learns more slowly than the other heads, not worse in the
# end (configs/camvid/README.md).
_base_ = './segmenter_efficientnet-lite0_1xb8-1k_camvid-256x256.py'
num_iters = 2000
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, begin=0, end=50, by_epoch=False),
    dict(
        type='PolyLR',
        eta_min=1e-6,
        power=0.9,
        begin=50,
        end=num_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=num_iters, val_interval=num_iters)
default_hooks = dict(checkpoint=dict(interval=num_iters // 4))
