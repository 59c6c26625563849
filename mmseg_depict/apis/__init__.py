from .runner_setup import (build_runner, config_scope, data_loaders_for,
                           dump_detection_results, enable_amp, load_config,
                           set_resume, set_test_outputs, set_tta)

__all__ = [
    'build_runner', 'config_scope', 'data_loaders_for',
    'dump_detection_results', 'enable_amp', 'load_config', 'set_resume',
    'set_test_outputs', 'set_tta'
]
