# mmdet's runtime (hooks, visualiser, logging) with this package registered.
_base_ = 'mmdet::_base_/default_runtime.py'
custom_imports = dict(imports=['mmseg_depict'], allow_failed_imports=False)

# Checkpoints written before old ones are deleted, training stopped on an inf /
# NaN loss (`default_hooks.finite_loss.enabled=False` turns the check off),
# the random state carried through --resume (mmseg_depict/engine/hooks/).
default_hooks = dict(
    checkpoint=dict(type='SafeCheckpointHook'),
    finite_loss=dict(type='FiniteLossHook'),
    random_state=dict(type='ResumeRandomStateHook'))
