"""``import mmseg_depict`` changes nothing in mmengine / mmseg / mmdet
beyond mmseg_depict/upstream_patches.py's list: a fresh interpreter imports
them first, snapshots every attribute of every module and of the classes
they define, the checkpoint loader schemes and the file backends, imports the
package and compares. The instance-level rewirings
(``INSTANCE_REWIRINGS``) are made on request on single objects; the
comparison shows that the import makes none of them on a class."""
import json
import subprocess
import sys

from mmseg_depict import PATCHES
from tests.common import ROOT

PROBE = r'''
import json, sys
import mmengine.fileio, mmengine.runner.checkpoint
import mmseg.apis, mmseg.models, mmseg.datasets, mmseg.engine, mmseg.evaluation
import mmdet.apis, mmdet.models, mmdet.datasets, mmdet.engine
import mmdet.evaluation
from mmengine.fileio.backends import registry_utils
from mmengine.runner.checkpoint import CheckpointLoader

def snapshot():
    state = {}
    for name, module in list(sys.modules.items()):
        if module is None or name.split('.')[0] not in (
                'mmengine', 'mmcv', 'mmseg', 'mmdet'):
            continue
        for key, value in list(vars(module).items()):
            state[f'{name}.{key}'] = id(value)
            # The classes' own attributes too: a method replaced on a class
            # leaves the module's attributes as they were.
            if isinstance(value, type) and value.__module__ == name:
                for attr, member in list(vars(value).items()):
                    state[f'{name}.{key}.{attr}'] = id(member)
    tables = (('loader scheme', CheckpointLoader._schemes),
              ('backend', registry_utils.backends),
              ('backend prefix', registry_utils.prefix_to_backends))
    for label, table in tables:
        for key, value in table.items():
            state[f'{label} {key!r}'] = id(value)
    return state

before = snapshot()
import mmseg_depict
after = snapshot()
changed = sorted(k for k in before if after.get(k) != before[k])
changed += sorted(k for k in after if k not in before and ' ' in k)
from mmengine.fileio import get_file_backend
atomic = type(get_file_backend('x.pth')).__name__
mmseg_depict.undo_patch('mmengine.fileio local backend')
undone = type(get_file_backend('x.pth')).__name__
print(json.dumps(dict(changed=changed, atomic=atomic, undone=undone)))
'''

#: What each patch of PATCHES changes, as the probe names it.
EXPECTED = {
    # register_scheme rebuilds the class's (sorted) scheme table.
    'mmengine CheckpointLoader scheme "" (local files)': [
        "loader scheme ''",
        'mmengine.runner.checkpoint.CheckpointLoader._schemes'
    ],
    'mmengine CheckpointLoader schemes "http://", "https://"':
    ["loader scheme 'http://'", "loader scheme 'https://'"],
    'mmengine.fileio local backend': ["backend 'local'", "backend prefix ''"],
    'mmdet.apis.det_inferencer.VOID, .id2rgb':
    ['mmdet.apis.det_inferencer.VOID', 'mmdet.apis.det_inferencer.id2rgb'],
    'mmcv.cnn.bricks.transformer.MultiheadAttention.__init__':
    ['mmcv.cnn.bricks.transformer.MultiheadAttention.__init__'],
}


def test_import_changes_only_the_listed_patches():
    assert sorted(EXPECTED) == sorted(p.target for p in PATCHES)
    proc = subprocess.run([sys.executable, '-c', PROBE],
                          cwd=ROOT,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert sorted(result['changed']) == sorted(k for keys in EXPECTED.values()
                                               for k in keys)
    assert (result['atomic'], result['undone']) == ('AtomicLocalBackend',
                                                    'LocalBackend')


ATTENTION_DROPOUT_PROBE = r'''
import sys
from mmcv.cnn.bricks.transformer import MultiheadAttention
if sys.argv[1] == 'patched':
    import mmseg_depict  # noqa: F401
MultiheadAttention(16, 2, dropout=0.1)  # as mmdet's DETR configs build it
later = MultiheadAttention(16, 2)  # as mmseg's ViT layers build theirs
print(later.dropout_layer.p)
'''


def test_attention_dropout_of_one_model_stays_out_of_the_next():
    """mmcv 2.1.0 alone: the second attention, built without dropout, drops
    with the first one's p; with the package imported it does not."""
    probabilities = []
    for mode in ('mmcv', 'patched'):
        proc = subprocess.run(
            [sys.executable, '-c', ATTENTION_DROPOUT_PROBE, mode],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        probabilities.append(float(proc.stdout.split()[-1]))
    assert probabilities == [0.1, 0.0]


def test_every_patch_says_why():
    for patch in PATCHES:
        assert patch.kind in ('fix', 'policy')
        assert patch.library.split()[0] in ('mmengine', 'mmcv', 'mmdet',
                                            'mmseg')
        assert len(patch.reason) > 80, patch.target


def test_register_all_modules_sets_the_scope():
    """As mmseg's / mmdet's ``register_all_modules``: every module findable
    from the chosen default scope, ours included."""
    import pytest
    from mmdet.registry import MODELS as MMDET_MODELS
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS as MMSEG_MODELS

    from mmseg_depict import register_all_modules
    register_all_modules(scope='mmdet')
    assert DefaultScope.get_current_instance().scope_name == 'mmdet'
    assert MMDET_MODELS.get('AmpMask2FormerHead') is not None
    assert MMDET_MODELS.get('Mask2Former') is not None  # mmdet's own
    register_all_modules()
    assert DefaultScope.get_current_instance().scope_name == 'mmseg'
    assert MMSEG_MODELS.get('DEPICTHead') is not None
    assert MMSEG_MODELS.get('EncoderDecoder') is not None  # mmseg's own
    with pytest.raises(ValueError, match="scope='mmpretrain'"):
        register_all_modules(scope='mmpretrain')
