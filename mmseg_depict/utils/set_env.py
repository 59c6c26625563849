from mmengine.registry import init_default_scope as set_default_scope

from ..tasks import task_for_scope


def register_all_modules(init_default_scope: bool = True,
                         scope: str = 'mmseg') -> None:
    """Register mmseg's, mmdet's and this package's modules in their
    registries, as ``mmseg.utils.register_all_modules`` does for mmseg's.

    Args:
        init_default_scope (bool): Also make ``scope`` the default scope
            (what ``default_scope`` in a config does for a Runner).
        scope (str): ``'mmseg'`` (semantic configs) or ``'mmdet'``
            (panoptic configs).
    """
    task_for_scope(scope)  # a supported scope
    from mmdet.utils import register_all_modules as register_mmdet
    from mmseg.utils import register_all_modules as register_mmseg
    register_mmdet(init_default_scope=False)
    register_mmseg(init_default_scope=False)
    import mmseg_depict.apis  # noqa: F401
    import mmseg_depict.datasets  # noqa: F401
    import mmseg_depict.engine  # noqa: F401
    import mmseg_depict.evaluation  # noqa: F401
    import mmseg_depict.models  # noqa: F401
    if init_default_scope:
        set_default_scope(scope)
