"""Running the repository's scripts as a user would: forked from the test
process (its imports already done), or in a new interpreter."""
import importlib.util
import os
import os.path as osp
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from typing import List

from mmengine.utils import ManagerMixin

from .environment import ROOT


def run_tool(args: List[str],
             check: bool = True,
             timeout: int = 600,
             new_interpreter: bool = False) -> subprocess.CompletedProcess:
    """Run ``python <args>`` (a script of the repository and its arguments)
    from the repository root; returns its exit code and output.

    By default the script's ``main(argv)`` runs in a child forked from the
    test process, which has torch, mmseg, mmdet and mmseg_depict imported
    already: the same code path as the command line at none of the ~8 s a
    new interpreter pays for its imports. ``new_interpreter=True`` starts
    ``python`` itself, where what only a fresh process shows is tested
    (imports, ``sys.path``, the ``__main__`` block): every script's
    ``--help``, tools/test.py on mmdet's runner. train.py (both runners)
    and test.py (mmseg's) start fresh through torchrun in
    test_distributed.py.
    """
    if new_interpreter:
        return _run_in_new_interpreter(args, check, timeout)
    return _run_forked(args, check, timeout)


def _run_in_new_interpreter(args, check, timeout):
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    proc = subprocess.run([sys.executable, *args],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    return _checked(proc, args, check)


def _checked(proc, args, check):
    if check and proc.returncode != 0:
        raise AssertionError(f'{" ".join(args)} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}')
    return proc


def _forget_mmengine_instances() -> None:
    """Drop the named singletons (loggers, visualizers, message hubs) that
    the test process created: a fresh interpreter has none, and a tool must
    not write into an earlier run's visualizer folder."""
    pending = [ManagerMixin]
    while pending:
        cls = pending.pop()
        cls._instance_dict.clear()
        pending.extend(cls.__subclasses__())


def _redirect(stream, fd: int, target) -> None:
    """Send ``fd`` and the file under ``stream`` to ``target``: objects
    that captured ``sys.stdout`` at import (mmengine's ProgressBar) write
    through pytest's capture file, not fd 1."""
    os.dup2(target.fileno(), fd)
    try:
        os.dup2(target.fileno(), stream.fileno())
    except (AttributeError, OSError, ValueError):
        pass  # an in-memory capture: nothing under it to redirect


def _skip_config_formatting() -> None:
    """In a forked tool: mmengine's config text without its yapf pass
    (see :func:`load_unformatted_config`); the new-interpreter runs keep it."""
    import mmengine.config.config as config_module
    config_module.FormatCode = lambda text, **kwargs: (text, False)


def _run_forked(args, check, timeout):
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            code = 1
            try:
                _redirect(sys.stdout, 1, out)
                _redirect(sys.stderr, 2, err)
                sys.stdout = open(1, 'w', buffering=1, closefd=False)
                sys.stderr = open(2, 'w', buffering=1, closefd=False)
                os.chdir(ROOT)
                sys.argv = list(args)
                # What `python script.py` puts first on the path.
                sys.path.insert(0, osp.dirname(osp.join(ROOT, args[0])))
                _forget_mmengine_instances()
                _skip_config_formatting()
                result = load_script(args[0]).main(list(args[1:]))
                # As `sys.exit(main())` would: an int is the exit code.
                code = result if isinstance(result, int) else 0
            except SystemExit as exit_:
                if exit_.code is None or isinstance(exit_.code, int):
                    code = exit_.code or 0
                else:
                    print(exit_.code, file=sys.stderr)
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        deadline = time.monotonic() + timeout
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise subprocess.TimeoutExpired(args, timeout)
            time.sleep(0.02)
        output = []
        for stream in (out, err):
            stream.seek(0)
            output.append(stream.read().decode('utf-8', 'replace'))
    proc = subprocess.CompletedProcess(args, os.waitstatus_to_exitcode(status),
                                       *output)
    return _checked(proc, args, check)


def load_script(relative_path: str):
    """A script of the repository as a module (to call its ``main``)."""
    spec = importlib.util.spec_from_file_location(
        osp.splitext(osp.basename(relative_path))[0],
        osp.join(ROOT, relative_path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
