# mmdet's runtime (hooks, visualiser, logging) with this package registered.
_base_ = 'mmdet::_base_/default_runtime.py'
custom_imports = dict(imports=['mmseg_depict'], allow_failed_imports=False)
