"""mmseg_depict: transformer segmentation decoders for OpenMMLab.

Importing the package registers its modules in the mmseg (and mmdet)
registries, makes checkpoint loading weights-only safe and lets mmdet's
``DetInferencer`` write panoptic predictions without panopticapi.
"""
from . import apis, datasets, engine, evaluation, models, utils  # noqa: F401
from .version import __version__

__all__ = ['__version__']
