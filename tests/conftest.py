"""Shared pytest fixtures: generated demo data and the optional real data."""
import os
import os.path as osp

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: The real face data (CelebA crops, LFWA, in-the-wild) lives outside the
#: repository; CI has it beside the clone. Override with MCFA_SHARED_DATA.
SHARED_DATA = os.environ.get('MCFA_SHARED_DATA',
                             osp.join(REPO_ROOT, '..', 'shared', 'data'))


@pytest.fixture(scope='session', autouse=True)
def mmdet_default_scope():
    """Build components in MMDetection's scope, as configs do."""
    import mcfa_mm  # noqa: F401
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=True)


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'shared_data: needs the real face data in ../shared/data '
        '(or $MCFA_SHARED_DATA); skipped when it is absent')


@pytest.fixture(scope='session')
def shared_data_root() -> str:
    """Path of the real face data; skips the test when it is absent."""
    if not osp.isdir(osp.join(SHARED_DATA, 'celeba')):
        pytest.skip(f'real face data not found at {SHARED_DATA} '
                    '(set MCFA_SHARED_DATA to run these tests)')
    return SHARED_DATA


@pytest.fixture(scope='session')
def demo_data_root(tmp_path_factory) -> str:
    """A small generated face dataset in the official CelebA formats.

    48 images: faces with box, landmarks and attributes, plus face-free
    backgrounds, split 32 / 8 / 8 into train / val / test.
    """
    from mcfa_mm.testing import generate_demo_faces
    root = str(tmp_path_factory.mktemp('demo_faces'))
    generate_demo_faces(root, num_images=48, seed=0)
    return root
