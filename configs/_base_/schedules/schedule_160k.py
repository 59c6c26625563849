# Segmenter / DEPICT recipe: SGD, no weight decay, per-iteration poly decay to
# 1e-5 without warm-up.
optimizer = dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=0.0)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, clip_grad=None)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-5,
        power=0.9,
        begin=0,
        end=160000,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=160000, val_interval=16000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# Checkpoints written before old ones are deleted, training stopped on an inf /
# NaN loss (`default_hooks.finite_loss.enabled=False` turns the check off),
# the random state carried through --resume (mmseg_depict/engine/hooks/).
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='SafeCheckpointHook', by_epoch=False, interval=16000),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'),
    finite_loss=dict(type='FiniteLossHook'),
    random_state=dict(type='ResumeRandomStateHook'))
