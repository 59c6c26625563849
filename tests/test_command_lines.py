"""Every script under tools/ and demo/ starts as ``python <script>`` does:
one fresh interpreter runs each as ``__main__`` with ``--help`` (its
imports, ``sys.path`` from its own folder, the ``__main__`` block, the
argument parser). The other tests run the scripts' ``main`` in a forked
child of the test process (``run_tool``, tests/common/tool_runner.py);
train.py also starts in fresh interpreters through dist_train.sh for both
runners, test.py through dist_test.sh (mmseg's runner) and from a fresh
``python`` (mmdet's)."""
import glob
import os.path as osp

from .common import ROOT, run_tool

SCRIPTS = sorted(
    osp.relpath(p, ROOT) for pattern in ('tools/**/*.py', 'demo/*.py')
    for p in glob.glob(osp.join(ROOT, pattern), recursive=True)
    # A module the analysis tools import, not a command.
    if osp.basename(p) != 'offline_tools.py')

#: Runs each script given on its command line as `python <script> --help`
#: would, and reports how each ended.
PROBE = '''
import runpy, sys
for script in sys.argv[1:]:
    sys.argv = [script, '--help']
    sys.path.insert(0, script.rpartition('/')[0])
    try:
        runpy.run_path(script, run_name='__main__')
        print(f'@@ {script}: returned without --help handling')
    except SystemExit as exit_:
        print(f'@@ {script}: exit {exit_.code}')
    sys.path.pop(0)
'''


def test_every_script_answers_help_in_a_fresh_interpreter():
    assert len(SCRIPTS) >= 20, SCRIPTS
    proc = run_tool(['-c', PROBE, *SCRIPTS], new_interpreter=True)
    ends = dict(line[3:].rsplit(': ', 1) for line in proc.stdout.splitlines()
                if line.startswith('@@ '))
    assert ends == {script: 'exit 0' for script in SCRIPTS}, proc.stderr
    assert proc.stdout.count('usage: ') == len(SCRIPTS)
