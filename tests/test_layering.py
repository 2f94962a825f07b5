"""The package's floors only point down: mcfa_mm/utils, the lowest layer,
imports nothing from the layers above it (read from the source with ast,
function-level imports included)."""
import ast
import glob
import os.path as osp
from typing import List

from tests.conftest import REPO_ROOT

#: The layers above utils.
UPPER_LAYERS = ('mcfa_mm.apis', 'mcfa_mm.models', 'mcfa_mm.datasets',
                'mcfa_mm.evaluation')


def imported_modules(source: str, module: str) -> List[str]:
    """Every module a source file imports, as absolute dotted names.

    Args:
        source (str): Python source.
        module (str): The file's own dotted name (``mcfa_mm.utils.x``), to
            resolve relative imports.

    Returns:
        list[str]: ``import a.b`` gives ``a.b``; ``from ..a import b`` in
        ``mcfa_mm.utils.x`` gives ``mcfa_mm.a`` and ``mcfa_mm.a.b`` (b may
        be a module).
    """
    package = module.split('.')[:-1]
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] \
                if node.level else []
            target = '.'.join(base + ([node.module] if node.module else []))
            names.append(target)
            names += [f'{target}.{alias.name}' for alias in node.names]
    return names


def upward_imports(source: str, module: str) -> List[str]:
    """The imports of ``source`` that reach an upper layer."""
    return [
        name for name in imported_modules(source, module)
        if any(name == layer or name.startswith(layer + '.')
               for layer in UPPER_LAYERS)
    ]


def test_the_check_sees_every_kind_of_import():
    source = '\n'.join([
        'import os',
        'from ..apis import init_face_model',
        'from .. import models',
        'def late():',
        '    import mcfa_mm.datasets.metainfo',
        '    from mcfa_mm.evaluation.metrics import utils',
        'from .image_io import read_image',
    ])
    assert upward_imports(source, 'mcfa_mm.utils.example') == [
        'mcfa_mm.apis', 'mcfa_mm.apis.init_face_model', 'mcfa_mm.models',
        'mcfa_mm.datasets.metainfo', 'mcfa_mm.evaluation.metrics',
        'mcfa_mm.evaluation.metrics.utils'
    ]


def test_utils_imports_no_upper_layer():
    files = sorted(glob.glob(osp.join(REPO_ROOT, 'mcfa_mm', 'utils', '*.py')))
    assert files
    found = {}
    for path in files:
        module = 'mcfa_mm.utils.' + osp.splitext(osp.basename(path))[0]
        with open(path) as file:
            upward = upward_imports(file.read(), module)
        if upward:
            found[osp.relpath(path, REPO_ROOT)] = upward
    assert not found, f'mcfa_mm/utils imports from upper layers: {found}'
