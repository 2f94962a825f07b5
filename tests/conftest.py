"""Shared pytest fixtures: generated demo data and the optional real data.

Also plain helpers for the test modules (``from tests.conftest import``):
paths under the repository and the runtime part of the configs that the
end-to-end tests write for the tools.
"""
import importlib.util
import os
import os.path as osp
from types import ModuleType
from typing import Callable, Dict

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: The real face data (CelebA crops, LFWA, in-the-wild) lives outside the
#: repository; CI has it beside the clone. Override with MCFA_SHARED_DATA.
SHARED_DATA = os.environ.get('MCFA_SHARED_DATA',
                             osp.join(REPO_ROOT, '..', 'shared', 'data'))

_TOY_RUN_CONFIG = '''
custom_imports = dict(imports=[{toy_module!r}, 'mcfa_mm'],
                      allow_failed_imports=False)
default_scope = 'mmdet'
model = {model!r}
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr={lr!r}, momentum=0.9))
default_hooks = {default_hooks!r}
log_processor = dict(by_epoch=False)
# nccl needs CUDA; gloo runs the collectives on CPU
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'),
               mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0))
log_level = 'INFO'
load_from = None
resume = False
'''


def repo_config(*parts: str) -> str:
    """``repo_config('mcfa', 'x.py')``: that file under configs/."""
    return osp.join(REPO_ROOT, 'configs', *parts)


def toy_run_config(toy_module: str, model: dict, *, lr: float,
                   log_interval: int, checkpoint_interval: int,
                   **default_hooks: dict) -> str:
    """The runtime part of a config that a tool runs on a toy dataset.

    The toy dataset lives in a module the test writes and puts on
    ``PYTHONPATH`` (:func:`toy_run_env`); the config imports it and
    :mod:`mcfa_mm` through ``custom_imports``, trains with SGD, logs and
    saves by iteration and runs its collectives with gloo on the CPU.

    Args:
        toy_module (str): Name of the toy dataset's module.
        model (dict): The model config.
        lr (float): SGD's learning rate (momentum 0.9).
        log_interval (int): Iterations between log lines.
        checkpoint_interval (int): Iterations between checkpoints.
        **default_hooks (dict): More default hooks, e.g.
            ``visualization=dict(type='DetVisualizationHook')``.

    Returns:
        str: Config text; the test adds its data, loops and custom hooks.
    """
    hooks = dict(
        timer=dict(type='IterTimerHook'),
        logger=dict(type='LoggerHook', interval=log_interval),
        param_scheduler=dict(type='ParamSchedulerHook'),
        checkpoint=dict(type='CheckpointHook', by_epoch=False,
                        interval=checkpoint_interval),
        sampler_seed=dict(type='DistSamplerSeedHook'),
        **default_hooks)
    return _TOY_RUN_CONFIG.format(toy_module=toy_module, model=model, lr=lr,
                                  default_hooks=hooks)


def toy_run_env(toy_dir) -> Dict[str, str]:
    """``os.environ`` with ``toy_dir`` (the toy dataset's module) and the
    repository first on ``PYTHONPATH``, for a tool run as a script."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [str(toy_dir), REPO_ROOT,
         env.get('PYTHONPATH', '')])
    return env


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
    from mcfa_mm.datasets import generate_demo_faces
    root = str(tmp_path_factory.mktemp('demo_faces'))
    generate_demo_faces(root, num_images=48, seed=0)
    return root


def _load_script(relative: str) -> ModuleType:
    """A script under the repository (``tools/`` is no package) as a
    module named after its file."""
    name = osp.splitext(osp.basename(relative))[0]
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO_ROOT, relative))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def load_script() -> Callable[[str], ModuleType]:
    """``load_script('tools/demo/image_demo.py')`` imports that script."""
    return _load_script


@pytest.fixture(scope='module')
def fake_roots(tmp_path_factory) -> Dict[str, str]:
    """CelebA, LFWA, in-the-wild and demo layouts of 12 generated images
    each, one set per test module (tests may write beside them)."""
    from mcfa_mm.testing import write_fake_layouts
    return write_fake_layouts(str(tmp_path_factory.mktemp('layouts')),
                              num_images=12)


@pytest.fixture
def data_env(fake_roots, monkeypatch) -> Dict[str, str]:
    """Point every config's data root at :func:`fake_roots`."""
    for key in ('celeba', 'lfwa', 'wild', 'demo'):
        monkeypatch.setenv(f'MCFA_{key.upper()}_ROOT', fake_roots[key])
    # the second CelebA root of the round-6 configs: the same fake layout
    monkeypatch.setenv('MCFA_CELEBA_EXTRA_ROOT', fake_roots['celeba'])
    return fake_roots
