"""Fixtures of the reuse tests. Generated photos in the official layouts
(``fake_roots``) and the configs' data roots pointed at them (``data_env``)
come from tests/conftest.py."""
import os.path as osp
from typing import Callable

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='session')
def config_path() -> Callable[[str], str]:
    """``config_path('baselines/x.py')``: that file under configs/."""
    return lambda name: osp.join(REPO_ROOT, 'configs', name)
