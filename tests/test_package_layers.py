"""The package's layers look only down: every ``import`` of a package module
(at the top of a file or inside a function) goes to its own unit or to a
lower layer, never up and never sideways to another unit of its layer.
The layers are written in docs/development.md ("Repository layout")."""
import ast
import os
import os.path as osp

from tests.common import ROOT

PACKAGE = 'mmseg_depict'

#: Lowest first. A unit is a module or package prefix; the longest prefix
#: that names a module is its unit.
LAYERS = (
    ('foundation', ('version', 'fileio')),
    ('tasks', ('tasks', )),
    ('helpers', ('utils', )),
    ('model parts', ('models.losses', 'models.layers')),
    ('model mixins', ('models.utils', )),
    ('models, data, metrics', ('models', 'datasets', 'evaluation')),
    ('running, converting, preparing data',
     ('engine', 'converters', 'dataset_prep')),
    ('apis', ('apis', )),
    ('command-line glue of tools/', ('cli', )),
    # Importing the package registers everything and applies the upstream
    # patches; register_all_modules imports every subpackage by design.
    ('entry points', ('', 'upstream_patches', 'utils.set_env')),
)


def unit_and_layer(module: str):
    """(unit, layer index) of a dotted module name inside the package."""
    relative = module[len(PACKAGE) + 1:] if module != PACKAGE else ''
    best = None
    for level, (_, units) in enumerate(LAYERS):
        for unit in units:
            if unit == '' and relative == '' or unit and (
                    relative == unit or relative.startswith(unit + '.')):
                if best is None or len(unit) > len(best[0]):
                    best = (unit, level)
    if best is None:
        best = ('', len(LAYERS) - 1)
    return best


def package_modules():
    """(dotted name, file path) of every module of the package."""
    for folder, _, names in os.walk(osp.join(ROOT, PACKAGE)):
        for name in sorted(names):
            if not name.endswith('.py'):
                continue
            path = osp.join(folder, name)
            parts = osp.relpath(path, ROOT)[:-3].split(os.sep)
            if parts[-1] == '__init__':
                parts = parts[:-1]
            yield '.'.join(parts), path


def imported_modules(module: str, path: str):
    """Package modules a file imports, as dotted names (relative imports
    resolved; ``from X import y`` counts as ``X.y`` when ``X.y`` is a
    module of the package, else ``X``)."""
    is_package = path.endswith('__init__.py')
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split('.')[0] == PACKAGE:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split('.')
                base = base[:len(base) - node.level + is_package]
                target = '.'.join(base +
                                  ([node.module] if node.module else []))
            else:
                target = node.module or ''
            if target.split('.')[0] != PACKAGE:
                continue
            for alias in node.names:
                candidate = f'{target}.{alias.name}'
                as_path = osp.join(ROOT, *candidate.split('.'))
                if osp.isfile(as_path + '.py') or osp.isdir(as_path):
                    yield candidate
                else:
                    yield target


def test_unit_lookup():
    assert unit_and_layer('mmseg_depict') == ('', 9)
    assert unit_and_layer('mmseg_depict.utils.set_env') == ('utils.set_env', 9)
    assert unit_and_layer('mmseg_depict.cli.runner_setup') == ('cli', 8)
    assert unit_and_layer('mmseg_depict.tasks') == ('tasks', 1)
    assert unit_and_layer('mmseg_depict.utils.complexity') == ('utils', 2)
    assert unit_and_layer('mmseg_depict.models.layers.precision') == (
        'models.layers', 3)
    assert unit_and_layer('mmseg_depict.models.decode_heads.depict_head') == (
        'models', 5)


def test_the_checker_sees_an_upward_import(tmp_path):
    """A model importing apis is reported; an import inside a function is
    seen as well as one at the top of the file."""
    module = 'mmseg_depict.models.backbones.example'
    path = tmp_path / 'example.py'
    path.write_text('from ...apis import inference\n'
                    'def f():\n    from ..layers import precision\n')
    found = list(imported_modules(module, str(path)))
    assert found == [
        'mmseg_depict.apis.inference', 'mmseg_depict.models.layers.precision'
    ]
    assert _violations([(module, str(path))]) == [
        f'{module} (models, layer 5) imports mmseg_depict.apis.inference '
        '(apis, layer 7)'
    ]


def _violations(modules):
    found = []
    for module, path in modules:
        unit, level = unit_and_layer(module)
        for target in imported_modules(module, path):
            target_unit, target_level = unit_and_layer(target)
            if target_unit == unit or target_level < level or (
                    level == target_level == len(LAYERS) - 1):
                continue  # the entry points are one room
            found.append(f'{module} ({unit or PACKAGE}, layer {level}) '
                         f'imports {target} ({target_unit or PACKAGE}, '
                         f'layer {target_level})')
    return found


def test_layers_look_only_down():
    modules = list(package_modules())
    assert len(modules) > 50
    assert _violations(modules) == []
