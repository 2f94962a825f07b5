"""Fixtures of the reuse tests: generated photos in the official layouts,
and the configs' data roots pointed at them."""
import os.path as osp
from typing import Callable, Dict

import pytest

from mcfa_mm.testing import write_fake_layouts

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='session')
def config_path() -> Callable[[str], str]:
    """``config_path('baselines/x.py')``: that file under configs/."""
    return lambda name: osp.join(REPO_ROOT, 'configs', name)


@pytest.fixture(scope='session')
def fake_roots(tmp_path_factory) -> Dict[str, str]:
    """CelebA, LFWA, in-the-wild and demo layouts of 12 generated faces."""
    return write_fake_layouts(str(tmp_path_factory.mktemp('reuse_layouts')),
                              num_images=12)


@pytest.fixture
def data_env(fake_roots, monkeypatch) -> Dict[str, str]:
    """Point every config's data root at :func:`fake_roots`."""
    for key in ('celeba', 'lfwa', 'wild', 'demo'):
        monkeypatch.setenv(f'MCFA_{key.upper()}_ROOT', fake_roots[key])
    return fake_roots
