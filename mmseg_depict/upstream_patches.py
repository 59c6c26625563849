"""Every change this package makes to another library, in one place.

``import mmseg_depict`` applies :data:`PATCHES` (and registers its own
modules in the mmseg / mmdet registries, which changes no existing entry).
Nothing else in mmengine, mmcv, mmseg or mmdet is altered:
``tests/test_upstream_patches.py`` imports the package into a fresh
interpreter and compares every attribute of every mmengine / mmcv / mmseg /
mmdet module and class, the checkpoint loader schemes and the file backends
with this list. What is changed on single objects on request (a model's
``parse_losses``, attention modules' class, ...) is listed apart, in
:data:`INSTANCE_REWIRINGS`.

They apply on import, not in our tools only, because our configs are also run
by mmseg's and mmdet's own ``tools/train.py`` / ``tools/test.py`` and by
``mim train`` / ``mim test``, which load the package through the configs'
``custom_imports`` and never run our tools: the fixes must hold there too.

To do without one: call :func:`undo_patch` with its ``target`` after the
import (e.g. ``undo_patch('mmengine.fileio local backend')``).
"""
import functools
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple


@dataclass(frozen=True)
class Patch:
    """One change to another library.

    Attributes:
        target (str): What is changed.
        library (str): The library and version it was written against.
        kind (str): ``'fix'`` (something fails without it) or ``'policy'``
            (a behaviour we choose).
        reason (str): What fails without it / why it is applied on import.
    """
    target: str
    library: str
    kind: str
    reason: str


PATCHES: Tuple[Patch, ...] = (
    Patch(
        'mmengine CheckpointLoader scheme "" (local files)', 'mmengine 0.10.7',
        'fix', 'mmengine calls torch.load without weights_only; torch >= 2.6 '
        'then loads weights-only with its default allow-list, which refuses '
        'the HistoryBuffer and numpy objects every Runner checkpoint holds: '
        'resume, load_from, tools/test.py and inference_model all stop with '
        '"Weights only load failed". Replaced by a weights-only loader that '
        'allows exactly those types (fileio/safe_checkpoint.py).'),
    Patch(
        'mmengine CheckpointLoader schemes "http://", "https://"',
        'mmengine 0.10.7', 'fix',
        'The same torch.load call for checkpoints given as URLs: cached '
        'download, then the same weights-only load.'),
    Patch(
        'mmengine.fileio local backend', 'mmengine 0.10.7', 'policy',
        'LocalBackend.put writes straight into the target, so a killed job '
        'or a full disk leaves a truncated iter_N.pth that --resume then '
        'loads. AtomicLocalBackend writes a temporary file, flushes it and '
        'renames it over the target (fileio/atomic_local_backend.py). On '
        'import so that mmseg\'s / mmdet\'s tools and mim save checkpoints '
        'the same way.'),
    Patch(
        'mmdet.apis.det_inferencer.VOID, .id2rgb', 'mmdet 3.3.0', 'fix',
        'mmdet imports both names from panopticapi (git-only, not on the '
        'package index); without it DetInferencer stops on panoptic configs '
        'with "panopticapi is not installed". Filled from our own COCO '
        'panoptic id encoding, only where that import failed '
        '(apis/det_inferencer_compat.py).'),
    Patch(
        'mmcv.cnn.bricks.transformer.MultiheadAttention.__init__',
        'mmcv 2.1.0', 'fix',
        'Given the deprecated dropout= argument (mmdet\'s DETR configs pass '
        'dropout=0.1), mmcv writes it into the dict that is the default of '
        'dropout_layer, so every MultiheadAttention built later in the '
        'process without dropout_layer (mmseg\'s ViT layers) drops its '
        'output with that p: a ViT trained after a DETR was built in the '
        'same process (a notebook, a forked test) trains differently (3.5e-4 '
        'apart after 4 steps of the quick-start config). Each call gets a '
        'fresh default instead.'),
)

#: Changes to other libraries' objects made on single instances (a model,
#: its modules), when a config or a flag asks for them; nothing here is
#: applied on import. Same columns as :data:`PATCHES`; the import test
#: (tests/test_upstream_patches.py) compares the libraries' modules and
#: classes too, and each rewiring's own test checks its outputs.
INSTANCE_REWIRINGS: Tuple[Patch, ...] = (
    Patch(
        'model.parse_losses (the trained model instance)', 'mmengine 0.10.7',
        'fix', 'mmengine trains on through a NaN loss and saves the broken '
        'weights. FiniteLossHook (default_hooks.finite_loss in our configs) '
        'wraps the instance\'s parse_losses, which train_step calls between '
        'the forward and the optimizer step, and stops every rank before the '
        'update (engine/hooks/finite_loss_hook.py).'),
    Patch(
        'MultiheadAttention.__class__ of modules in a model', 'mmcv 2.1.0',
        'policy', 'mmcv\'s MultiheadAttention never reaches PyTorch\'s fused '
        'attention kernels; fuse_multihead_attention (FusedVisionTransformer, '
        'fused_attention=True of the Mask2Former heads) turns given '
        'instances into FusedMultiheadAttention: same parameters and state '
        'dict, equal in float64 (models/layers/fused_multihead_attention.py).'
    ),
    Patch(
        'forward of the backbone, neck and decode head instances',
        'mmengine 0.10.7', 'policy',
        '--compile: torch.compile on those parts only, so that the loss and '
        'the optimizer step stay eager (mmengine\'s compile key would '
        'compile them too) (engine/forward_compile.py).'),
    Patch(
        'model.extract_feat (an evaluated model instance)', 'mmseg 1.2.2',
        'policy', 'Decoder-parameter noise curves run the decoder tens of '
        'times per image; replayed_features stores each image\'s backbone '
        'and neck features once and returns them on later passes, restoring '
        'the method on exit (apis/decoder_parameter_noise.py).'),
    Patch(
        'BatchNorm modules of an evaluated backbone', 'mmcv 2.1.0', 'policy',
        'compare_trained_heads.py --fuse-conv-bn: mmcv\'s fuse_conv_bn folds '
        'them into the preceding convolutions of that one model (equal up '
        'to float rounding) (apis/per_image_evaluation.py).'),
)

_UNDO: Dict[str, Callable[[], None]] = {}


def _register_checkpoint_loaders() -> Callable[[], None]:
    from mmengine.runner.checkpoint import CheckpointLoader

    from .fileio.safe_checkpoint import load_from_http, load_from_local
    schemes = CheckpointLoader._schemes
    before = {p: schemes.get(p) for p in ('', 'http://', 'https://')}
    CheckpointLoader.register_scheme('', load_from_local, force=True)
    CheckpointLoader.register_scheme(('http://', 'https://'),
                                     load_from_http,
                                     force=True)

    def undo():
        for prefix, loader in before.items():
            if loader is None:
                schemes.pop(prefix, None)
            else:
                schemes[prefix] = loader

    return undo


def _register_atomic_backend() -> Callable[[], None]:
    from mmengine.fileio import register_backend
    from mmengine.fileio.backends import registry_utils

    from .fileio.atomic_local_backend import AtomicLocalBackend
    before = (registry_utils.backends.get('local'),
              registry_utils.prefix_to_backends.get(''))
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')

    def undo():
        registry_utils.backends['local'] = before[0]
        registry_utils.prefix_to_backends[''] = before[1]

    return undo


def _supply_panoptic_names() -> Callable[[], None]:
    from mmdet.apis import det_inferencer

    from .apis.det_inferencer_compat import supply_panoptic_names
    before = (det_inferencer.VOID, det_inferencer.id2rgb)
    supply_panoptic_names()

    def undo():
        det_inferencer.VOID, det_inferencer.id2rgb = before

    return undo


def _fresh_attention_dropout_default() -> Callable[[], None]:
    from mmcv.cnn.bricks.transformer import MultiheadAttention
    original = MultiheadAttention.__init__

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        # dropout_layer is the fifth parameter (after embed_dims, num_heads,
        # attn_drop, proj_drop); mmcv's default value, not a shared dict.
        if len(args) < 5 and 'dropout_layer' not in kwargs:
            kwargs['dropout_layer'] = dict(type='Dropout', drop_prob=0.)
        original(self, *args, **kwargs)

    MultiheadAttention.__init__ = __init__

    def undo():
        MultiheadAttention.__init__ = original

    return undo


def apply_upstream_patches() -> List[str]:
    """Apply :data:`PATCHES` (once); returns their targets."""
    if not _UNDO:
        undo_loaders = _register_checkpoint_loaders()
        _UNDO[PATCHES[0].target] = undo_loaders
        _UNDO[PATCHES[1].target] = undo_loaders
        _UNDO[PATCHES[2].target] = _register_atomic_backend()
        _UNDO[PATCHES[3].target] = _supply_panoptic_names()
        _UNDO[PATCHES[4].target] = _fresh_attention_dropout_default()
    return [patch.target for patch in PATCHES]


def undo_patch(target: str) -> None:
    """Put back what one patch replaced (both checkpoint-loader patches go
    together).

    Args:
        target (str): A :attr:`Patch.target` of :data:`PATCHES`.
    """
    if target not in _UNDO:
        raise KeyError(f'{target!r}: not a patch of this package; they are '
                       f'{[p.target for p in PATCHES]}')
    _UNDO[target]()
