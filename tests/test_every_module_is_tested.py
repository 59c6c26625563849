"""Every module of the package is exercised by name in some test file, so
that its tests can be found from its path (docs/development.md, "Finding a
module's tests"): ``tests/test_<module>.py`` where it exists, else the test
files that name the module's path or one of its public classes / functions
(``python tests/test_every_module_is_tested.py PATH`` lists them;
modules reached only through a tool or a config are listed here)."""
import ast
import functools
import glob
import os.path as osp
import re
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TESTS = osp.join(ROOT, 'tests')
PACKAGES = ('mmseg_depict', 'mmseg_depict_light')


def public_names(path: str):
    """Top-level classes, functions and constants a module defines."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(
                t.id for t in node.targets
                if isinstance(t, ast.Name) and t.id.isupper())
    return {n for n in names if not n.startswith('_')}


#: Modules the tests reach only through a tool or a config (the tool's or
#: the config's name appears in the test, not the module's), with where.
THROUGH_TOOLS_AND_CONFIGS = {
    'mmseg_depict/dataset_prep/converters/cityscapes_panoptic.py':
    ['tests/test_dataset_converters.py'],
    'mmseg_depict/dataset_prep/converters/custom_dataset/coco_instances.py':
    ['tests/test_custom_dataset.py'],
    'mmseg_depict/dataset_prep/converters/custom_dataset/label_pngs.py':
    ['tests/test_custom_dataset.py'],
    'mmseg_depict/dataset_prep/converters/custom_dataset/labelme.py':
    ['tests/test_custom_dataset.py'],
    'mmseg_depict/dataset_prep/converters/custom_dataset/writer.py':
    ['tests/test_custom_dataset.py', 'tests/test_check_dataset.py'],
    'mmseg_depict/datasets/file_decode_check.py': ['tests/test_bad_input.py'],
    'mmseg_depict/datasets/transforms/check_seg_label_range.py':
    ['tests/test_bad_input.py'],
    'mmseg_depict/datasets/transforms/load_coco_panoptic_annotations.py':
    ['tests/test_detr_panoptic_e2e.py', 'tests/test_train_test_e2e.py'],
    'mmseg_depict/engine/hooks/finite_loss_hook.py':
    ['tests/test_training_faults.py'],
    'mmseg_depict/engine/hooks/random_state_hook.py':
    ['tests/test_training_faults.py', 'tests/test_distributed.py'],
    'mmseg_depict/engine/hooks/safe_checkpoint_hook.py':
    ['tests/test_training_faults.py'],
    'mmseg_depict/models/layers/subspace_attention.py':
    ['tests/test_depict_head.py'],
    'mmseg_depict/models/utils/float32_mask_losses.py':
    ['tests/test_mixed_precision.py'],
    'mmseg_depict/models/utils/fused_decoder_attention.py': [
        'tests/test_fused_attention.py'
    ],
    'mmseg_depict/models/utils/panoptic_targets.py': [
        'tests/test_detr_seg.py', 'tests/test_detr_panoptic_head.py'
    ],
}
#: No behaviour of its own.
NOT_TESTED = ('mmseg_depict/version.py', )


def find_tests(path: str):
    """Test files of a package module (path relative to the repository)."""
    if path in THROUGH_TOOLS_AND_CONFIGS:
        return THROUGH_TOOLS_AND_CONFIGS[path]
    name = osp.splitext(osp.basename(path))[0]
    own = osp.join(TESTS, f'test_{name}.py')
    dotted = osp.splitext(path)[0].replace(osp.sep, '.')
    names = public_names(osp.join(ROOT, path))
    found = [own] if osp.isfile(own) else []
    for test, (text, words) in _test_texts().items():
        if test != own and (dotted in text or path in text or names & words):
            found.append(test)
    return [osp.relpath(t, ROOT) for t in found]


@functools.lru_cache()
def _test_texts():
    """Each test file's text and the identifiers in it (this file left
    out: it names modules only to look them up)."""
    texts = {}
    for test in sorted(glob.glob(osp.join(TESTS, 'test_*.py'))):
        if osp.samefile(test, __file__):
            continue
        with open(test) as f:
            text = f.read()
        texts[test] = (text, set(re.findall(r'\w+', text)))
    return texts


def package_modules():
    for package in PACKAGES:
        for path in sorted(
                glob.glob(
                    osp.join(ROOT, package, '**', '*.py'), recursive=True)):
            if osp.basename(path) != '__init__.py':
                yield osp.relpath(path, ROOT)


def test_every_module_has_a_test_file():
    untested = [
        p for p in package_modules()
        if p not in NOT_TESTED and not find_tests(p)
    ]
    assert untested == []
    for listed in THROUGH_TOOLS_AND_CONFIGS.values():
        for test in listed:
            assert osp.isfile(osp.join(ROOT, test)), test


def test_lookup_finds_the_obvious_test():
    assert find_tests('mmseg_depict/tasks.py')[0] == 'tests/test_tasks.py'
    found = find_tests('mmseg_depict/models/decode_heads/depict_head.py')
    assert 'tests/test_depict_head.py' in found


if __name__ == '__main__':
    for module in sys.argv[1:]:
        print('\n'.join(find_tests(module)))
