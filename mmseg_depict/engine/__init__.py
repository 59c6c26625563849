from .forward_compile import compile_forward, take_compile_option
from .hooks import FiniteLossHook, ResumeRandomStateHook, SafeCheckpointHook
from .resume import newest_loadable_checkpoint
from .runner_setup import (add_runner_args, build_runner, config_scope,
                           data_loaders_for, dump_detection_results,
                           enable_amp, load_config, parse_runner_args,
                           restarted_resume, set_resume, set_test_outputs,
                           set_tta, shutdown_distributed)

__all__ = [
    'FiniteLossHook', 'ResumeRandomStateHook', 'SafeCheckpointHook',
    'newest_loadable_checkpoint', 'add_runner_args', 'build_runner',
    'compile_forward', 'config_scope', 'data_loaders_for',
    'dump_detection_results', 'enable_amp', 'load_config', 'parse_runner_args',
    'restarted_resume', 'set_resume', 'set_test_outputs', 'set_tta',
    'shutdown_distributed', 'take_compile_option'
]
