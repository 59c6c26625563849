from .runner_setup import (add_runner_args, build_runner, config_scope,
                           data_loaders_for, dump_detection_results,
                           enable_amp, load_config, parse_runner_args,
                           set_resume, set_test_outputs, set_tta,
                           shutdown_distributed)

__all__ = [
    'add_runner_args', 'build_runner', 'config_scope', 'data_loaders_for',
    'dump_detection_results', 'enable_amp', 'load_config',
    'parse_runner_args', 'set_resume', 'set_test_outputs', 'set_tta',
    'shutdown_distributed'
]
