"""The command-line switches of tools/train.py and tools/test.py.

``--amp``, ``--auto-scale-lr``, ``--resume`` and ``--tta`` change the
config before the runner is built (``build_config``); the learning-rate
scaling is checked on the optimizer of a one-iteration run, AMP training
itself where a GPU is.
"""
import importlib.util
import os.path as osp
import textwrap

import pytest
import torch
from mmengine.runner import Runner

from mcfa_mm.testing import RandomFaceCrops, tiny_mcfa_config
from mmdet.registry import DATASETS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE_LR = 0.01
BATCH_SIZE = 4
BASE_BATCH_SIZE = 16


DATASETS.register_module(
    name='ArgsToyFaces', force=True, module=RandomFaceCrops)


CONFIG = '''
default_scope = 'mmdet'
model = {model!r}
train_dataloader = dict(
    batch_size={batch_size}, num_workers=0,
    dataset=dict(type='ArgsToyFaces', num_attributes=4),
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'))
test_dataloader = dict(
    batch_size=2, num_workers=0,
    dataset=dict(type='ArgsToyFaces', num_attributes=4,
                 pipeline=[dict(type='PackFaceInputs')]),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_evaluator = dict(type='AttributeAccuracy')
test_cfg = dict(type='TestLoop')
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1)
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr={lr}))
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=100))
log_processor = dict(by_epoch=False)
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'),
               mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0))
'''
AUTO_SCALE_LR = (
    f'auto_scale_lr = dict(enable=False, base_batch_size={BASE_BATCH_SIZE})\n')
TTA = '''
tta_model = dict(type='DetTTAModel',
                 tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5)))
tta_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackFaceInputs')]
'''


def _load(name: str):
    """tools/<name>.py as a module (tools/ is no package)."""
    spec = importlib.util.spec_from_file_location(
        f'mcfa_tools_{name}', osp.join(REPO_ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def train_tool():
    return _load('train')


@pytest.fixture(scope='module')
def test_tool():
    return _load('test')


@pytest.fixture(autouse=True)
def _local_rank(monkeypatch):
    """parse_args sets LOCAL_RANK; keep it out of the other tests."""
    monkeypatch.setenv('LOCAL_RANK', '0')


def _config(tmp_path, *extras: str) -> str:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / 'tiny.py'
    path.write_text(
        textwrap.dedent(
            CONFIG.format(
                model=tiny_mcfa_config(num_attributes=4),
                batch_size=BATCH_SIZE,
                lr=BASE_LR)) + ''.join(extras))
    return str(path)


def _train_cfg(train_tool, tmp_path, *argv, extras=(AUTO_SCALE_LR, )):
    args = train_tool.parse_args(
        [_config(tmp_path, *extras), '--work-dir',
         str(tmp_path / 'work')] + list(argv))
    return train_tool.build_config(args)


def test_amp_switches_to_the_amp_optimizer_wrapper(train_tool, tmp_path,
                                                   monkeypatch):
    monkeypatch.setattr(train_tool, 'get_device', lambda: 'cuda')
    cfg = _train_cfg(train_tool, tmp_path, '--amp')
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.optim_wrapper.optimizer.lr == BASE_LR
    cfg = _train_cfg(train_tool, tmp_path)
    assert cfg.optim_wrapper.type == 'OptimWrapper'
    assert 'loss_scale' not in cfg.optim_wrapper


def test_amp_keeps_an_amp_config(train_tool, tmp_path, monkeypatch):
    monkeypatch.setattr(train_tool, 'get_device', lambda: 'cuda')
    cfg = _train_cfg(train_tool, tmp_path, '--amp', '--cfg-options',
                     'optim_wrapper.type=AmpOptimWrapper',
                     'optim_wrapper.loss_scale=512.')
    assert cfg.optim_wrapper.loss_scale == 512.


def test_amp_refuses_other_wrappers(train_tool, tmp_path, monkeypatch):
    monkeypatch.setattr(train_tool, 'get_device', lambda: 'cuda')
    with pytest.raises(RuntimeError, match='ApexOptimWrapper'):
        _train_cfg(train_tool, tmp_path, '--amp', '--cfg-options',
                   'optim_wrapper.type=ApexOptimWrapper')


def test_amp_on_the_cpu_is_bfloat16_autocast(train_tool, tmp_path,
                                             monkeypatch):
    """MMEngine's AmpOptimWrapper does not run on the CPU: --amp takes
    CPUAmpOptimWrapper there, and a config's wrapper of the other device
    is an error."""
    monkeypatch.setattr(train_tool, 'get_device', lambda: 'cpu')
    cfg = _train_cfg(train_tool, tmp_path, '--amp')
    assert cfg.optim_wrapper.type == 'CPUAmpOptimWrapper'
    assert 'loss_scale' not in cfg.optim_wrapper
    with pytest.raises(RuntimeError, match='CPUAmpOptimWrapper'):
        _train_cfg(train_tool, tmp_path, '--amp', '--cfg-options',
                   'optim_wrapper.type=AmpOptimWrapper')


def _trained_lr(cfg) -> float:
    runner = Runner.from_cfg(cfg)
    runner.train()
    lr, = runner.optim_wrapper.get_lr()['lr']
    return lr


def test_auto_scale_lr_scales_by_the_batch_size(train_tool, tmp_path):
    """One process, batch 4, base batch 16: lr x 4 / 16; off by default."""
    cfg = _train_cfg(train_tool, tmp_path / 'scaled', '--auto-scale-lr')
    assert cfg.auto_scale_lr.enable is True
    assert _trained_lr(cfg) == pytest.approx(BASE_LR * BATCH_SIZE /
                                             BASE_BATCH_SIZE)
    cfg = _train_cfg(train_tool, tmp_path / 'plain')
    assert _trained_lr(cfg) == pytest.approx(BASE_LR)


def test_auto_scale_lr_needs_the_config_entry(train_tool, tmp_path):
    with pytest.raises(RuntimeError, match='auto_scale_lr'):
        _train_cfg(train_tool, tmp_path, '--auto-scale-lr', extras=())


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason='AMP training needs a GPU')
def test_amp_trains_on_the_gpu(train_tool, tmp_path):
    from mmengine.optim import AmpOptimWrapper
    cfg = _train_cfg(train_tool, tmp_path, '--amp')
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert isinstance(runner.optim_wrapper, AmpOptimWrapper)
    assert runner.iter == 1
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert loss == loss and loss > 0  # finite: not NaN


def _test_cfg(test_tool, tmp_path, *extras):
    args = test_tool.parse_args([
        _config(tmp_path, *extras),
        str(tmp_path / 'model.pth'), '--tta', '--work-dir',
        str(tmp_path / 'work')
    ])
    return test_tool.build_config(args)


@pytest.mark.parametrize('extras, missing', [
    ((), 'tta_model'),
    (("tta_model = dict(type='DetTTAModel')\n", ), 'tta_pipeline'),
])
def test_tta_refuses_configs_without_a_face_tta(test_tool, tmp_path, extras,
                                                missing):
    """mmdet's fallback (DetTTAModel + PackDetInputs) would drop the
    landmarks and attributes: --tta needs the config to say how."""
    with pytest.raises(RuntimeError, match=f'--tta needs `{missing}`'):
        _test_cfg(test_tool, tmp_path, *extras)


def test_tta_wraps_the_model_and_swaps_the_pipeline(test_tool, tmp_path):
    cfg = _test_cfg(test_tool, tmp_path, TTA)
    assert cfg.model.type == 'DetTTAModel'
    assert cfg.model.module.type == 'MCFA'
    assert cfg.model.module.head.num_attributes == 4
    assert [t['type'] for t in cfg.test_dataloader.dataset.pipeline] == [
        'LoadImageFromFile', 'PackFaceInputs'
    ]
    assert cfg.load_from == str(tmp_path / 'model.pth')


def test_resume_without_a_checkpoint_keeps_load_from(train_tool, tmp_path):
    """``--resume`` before the first save (a fine-tune killed early): the
    run starts from the config's ``load_from``, not from random weights."""
    cfg = _train_cfg(train_tool, tmp_path, '--resume', '--cfg-options',
                     'load_from=shipped.pth')
    assert cfg.load_from == 'shipped.pth'
    assert cfg.resume is False


def test_resume_takes_the_latest_checkpoint_of_the_work_dir(
        train_tool, tmp_path):
    work_dir = tmp_path / 'work'
    work_dir.mkdir(parents=True)
    latest = str(work_dir / 'iter_300.pth')
    (work_dir / 'last_checkpoint').write_text(latest)
    cfg = _train_cfg(train_tool, tmp_path, '--resume', '--cfg-options',
                     'load_from=shipped.pth')
    assert cfg.load_from == latest
    assert cfg.resume is True
    # a checkpoint named on the command line comes first
    cfg = _train_cfg(train_tool, tmp_path, '--resume', 'chosen.pth')
    assert (cfg.load_from, cfg.resume) == ('chosen.pth', True)


def test_resume_from_scratch_trains_and_saves(train_tool, tmp_path):
    """Nothing to resume and no ``load_from``: the runner trains from the
    start (MMEngine's resume would look for a checkpoint again)."""
    cfg = _train_cfg(train_tool, tmp_path, '--resume')
    assert cfg.resume is False and cfg.get('load_from') is None
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1
