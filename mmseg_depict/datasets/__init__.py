from .camvid import CamVidDataset
from .cityscapes_panoptic import CityscapesPanopticDataset
from .config_data_check import DataConfigError, check_config_data
from .transforms import *  # noqa: F401,F403

__all__ = [
    'CamVidDataset', 'CityscapesPanopticDataset', 'DataConfigError',
    'check_config_data'
]
