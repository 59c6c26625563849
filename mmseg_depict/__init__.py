"""mmseg_depict: transformer segmentation decoders for OpenMMLab.

Importing the package registers its modules in the mmseg (and mmdet)
registries and applies the changes to other libraries listed, each with its
reason, in :mod:`mmseg_depict.upstream_patches` (weights-only checkpoint
loading under torch >= 2.6, atomic file writes, mmdet's panoptic inferencer
without panopticapi). :func:`register_all_modules` also sets the default
scope, as mmseg's / mmdet's do.
"""
# Importing the subpackages registers their modules.
from . import apis, datasets, engine, evaluation, fileio, models, utils  # noqa
from .upstream_patches import (INSTANCE_REWIRINGS, PATCHES,
                               apply_upstream_patches, undo_patch)
from .utils.set_env import register_all_modules
from .version import __version__

apply_upstream_patches()

__all__ = [
    'INSTANCE_REWIRINGS', 'PATCHES', '__version__', 'apply_upstream_patches',
    'register_all_modules', 'undo_patch'
]
