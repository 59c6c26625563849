"""mmseg_depict_light imports only numpy, OpenCV (pyspng where installed)
and the standard library: the offline evaluation tools (tools/evaluation/)
import it to start without torch; importing mmseg_depict would register
every model first."""
import ast
import glob
import os.path as osp
import sys

from tests.common import ROOT, run_tool

LIGHT = osp.join(ROOT, 'mmseg_depict_light')
#: pyspng: panoptic_ids' optional fast PNG decoder (OpenCV without it).
ALLOWED = {'numpy', 'cv2', 'pyspng', 'mmseg_depict_light'}


def _imported_top_levels(path):
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split('.')[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            yield node.module.split('.')[0]


def test_every_import_is_numpy_opencv_pyspng_or_the_standard_library():
    modules = sorted(glob.glob(osp.join(LIGHT, '*.py')))
    assert len(modules) > 1
    outside = {
        osp.basename(path): name
        for path in modules
        for name in _imported_top_levels(path)
        if name not in ALLOWED and name not in sys.stdlib_module_names
    }
    assert outside == {}


def test_importing_every_module_loads_no_heavy_library():
    probe = ('import glob, importlib, os.path as osp, sys; '
             "[importlib.import_module('mmseg_depict_light.' + "
             'osp.basename(p)[:-3]) for p in '
             "glob.glob('mmseg_depict_light/*.py')]; "
             "print('heavy:', sorted(m for m in ('torch', 'mmseg', 'mmdet', "
             "'mmengine', 'mmcv', 'mmseg_depict') if m in sys.modules))")
    proc = run_tool(['-c', probe], new_interpreter=True)
    assert 'heavy: []' in proc.stdout


def test_mmseg_depict_reexports_the_light_modules():
    import mmseg_depict_light.panoptic_ids as panoptic_ids
    import mmseg_depict_light.panoptic_quality as panoptic_quality
    from mmseg_depict.evaluation import PQStats
    from mmseg_depict.utils import id2rgb
    assert PQStats is panoptic_quality.PQStats
    assert id2rgb is panoptic_ids.id2rgb
