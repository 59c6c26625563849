# Our training hooks under a name of their own, for configs that inherit a
# whole mmseg / mmdet recipe (mmengine refuses a second base that defines
# `default_hooks` beside it): `default_hooks = _base_.safe_training_hooks`.
# Checkpoints written before old ones are deleted, training stopped on an inf
# / NaN loss (`default_hooks.finite_loss.enabled=False` turns the check off),
# the random state carried through --resume (mmseg_depict/engine/hooks/).
safe_training_hooks = dict(
    checkpoint=dict(type='SafeCheckpointHook'),
    finite_loss=dict(type='FiniteLossHook'),
    random_state=dict(type='ResumeRandomStateHook'))
