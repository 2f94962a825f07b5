"""The zoo-regression script as a module, and the real data's location."""
import importlib.util
import os
import os.path as osp

import pytest

from tests.conftest import REPO_ROOT, SHARED_DATA


@pytest.fixture(scope='session')
def load_zoo_tool():
    """tools/analysis_tools/zoo_regression.py as a module, its data roots
    pointed at the shared data."""
    for name in ('celeba', 'lfwa', 'wild'):
        os.environ.setdefault(f'MCFA_{name.upper()}_ROOT',
                              osp.join(SHARED_DATA, name))
    path = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'zoo_regression.py')
    spec = importlib.util.spec_from_file_location('zoo_regression', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
