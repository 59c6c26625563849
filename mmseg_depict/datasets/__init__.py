from .preflight import DataConfigError, check_config_data
from .transforms import *  # noqa: F401,F403

__all__ = ['DataConfigError', 'check_config_data']
