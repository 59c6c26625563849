# mmdet's runtime (hooks, visualiser, logging) with this package registered.
_base_ = ['mmdet::_base_/default_runtime.py', './safe_training_hooks.py']
custom_imports = dict(imports=['mmseg_depict'], allow_failed_imports=False)

# Our training hooks (./safe_training_hooks.py).
default_hooks = _base_.safe_training_hooks
