"""Command-line glue of ``tools/train.py`` and ``tools/test.py``: their
shared flags and what they do to a config before mmengine's Runner starts
(launcher, work dir, ``--resume``, ``--amp``, ``--tta``, ``--out``,
Slurm's environment). Only the tools import it; the library's layers below
(apis, engine, models, ...) never do."""
from .runner_setup import (add_runner_args, add_test_writers, build_runner,
                           data_loaders_for, enable_amp, load_config,
                           parse_runner_args, restarted_resume, set_resume,
                           set_test_outputs, set_tta, shutdown_distributed)

__all__ = [
    'add_runner_args', 'add_test_writers', 'build_runner', 'data_loaders_for',
    'enable_amp', 'load_config', 'parse_runner_args', 'restarted_resume',
    'set_resume', 'set_test_outputs', 'set_tta', 'shutdown_distributed'
]
