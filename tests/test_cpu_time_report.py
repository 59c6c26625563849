"""tests/cpu_time_report.py on a generated test file, through pytest-xdist
as the suite runs: CPU spent in the test process and in a child process is
counted on the right side, per file."""
import os
import re
import subprocess
import sys

from .common import ROOT

SPINNING_TESTS = '''
import subprocess, sys, time

SPIN = ("import time\\nt = time.process_time()\\n"
        "while time.process_time() - t < 0.4: pass")


def test_spins_itself():
    exec(SPIN)


def test_spins_in_a_child():
    subprocess.run([sys.executable, '-c', SPIN], check=True)
'''


def test_cpu_seconds_are_split_into_own_and_children(tmp_path):
    (tmp_path / 'test_spin.py').write_text(SPINNING_TESTS)
    (tmp_path / 'pytest.ini').write_text('[pytest]\n')
    proc = subprocess.run([
        sys.executable, '-m', 'pytest', '-p', 'tests.cpu_time_report', '-p',
        'no:cacheprovider', '-n', '2',
        str(tmp_path / 'test_spin.py')
    ],
                          cwd=tmp_path,
                          env=dict(os.environ, PYTHONPATH=ROOT),
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'CPU seconds per test file' in proc.stdout
    row = re.search(r'^\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+2\s+test_spin.py$',
                    proc.stdout, re.M)
    assert row, proc.stdout
    own, children, total = map(float, row.groups())
    assert own >= 0.4 and children >= 0.4, proc.stdout
    assert abs(own + children - total) <= 0.11
