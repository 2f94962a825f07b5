"""Fixtures of the tests of tools/analysis_tools: the scripts as modules and
generated data in the official layouts."""
import importlib.util
import os.path as osp
from types import ModuleType
from typing import Callable, Dict

import pytest

from mcfa_mm.testing import write_fake_layouts

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(REPO_ROOT, 'tools', 'analysis_tools')


def _load_tool(name: str) -> ModuleType:
    """A script of tools/analysis_tools as a module (tools/ is no
    package)."""
    spec = importlib.util.spec_from_file_location(
        name, osp.join(TOOLS, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def load_tool() -> Callable[[str], ModuleType]:
    """``load_tool('attribute_study')`` imports that script."""
    return _load_tool


@pytest.fixture(scope='module')
def fake_roots(tmp_path_factory) -> Dict[str, str]:
    """CelebA, LFWA and in-the-wild layouts of 12 generated images each."""
    return write_fake_layouts(str(tmp_path_factory.mktemp('layouts')),
                              num_images=12)


@pytest.fixture
def data_env(fake_roots, monkeypatch) -> Dict[str, str]:
    """Point the configs' data roots at :func:`fake_roots`."""
    for key in ('celeba', 'lfwa', 'wild'):
        monkeypatch.setenv(f'MCFA_{key.upper()}_ROOT', fake_roots[key])
    return fake_roots
