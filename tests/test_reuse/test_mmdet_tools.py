"""The installed MMDetection's own tools (``mmdet/.mim/tools``) on our
configs and generated data, run unchanged as a user runs them.

``train.py`` / ``test.py`` on the demo MCFA config and on the stock
YOLOX-nano face baseline, ``browse_dataset.py`` on the multi-source config,
``get_flops.py`` on MCFA (crop mode), ``analyze_logs.py`` on our training
log, and ``DetInferencer``. Each runs for a couple of iterations.
"""
import glob
import importlib.util
import os
import os.path as osp
import pickle
import re
import subprocess
import sys

import cv2
import mmdet
import pytest
import torch
from mmengine.config import Config

from mcfa_mm.utils.complexity import count_macs
from mmdet.registry import MODELS

TOOLS = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools')
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = 'configs/mcfa/mcfa_vgg16-w0125-64px_1xb16-36e_demo-faces.py'
MULTISOURCE = ('configs/mcfa_study/'
               'mcfa_vgg16-w025-128px_1xb32-8e_celeba-multisource.py')
YOLOX = 'configs/baselines/yolox_nano_1xb16-1h_wild-lfwa-faces.py'
# one process, no worker processes: a test run, not a training
QUIET_LOADERS = [
    f'{loader}.{key}={value}'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    for key, value in (('num_workers', 0), ('persistent_workers', False))
]


def _env(roots: dict, extra_path: str = '') -> dict:
    env = dict(os.environ)
    for key in ('celeba', 'lfwa', 'wild', 'demo'):
        env[f'MCFA_{key.upper()}_ROOT'] = roots[key]
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (extra_path, REPO_ROOT, env.get('PYTHONPATH', '')) if p)
    return env


def _run(script: str, *args, env: dict) -> str:
    """Run one of mmdet's tools; its stdout and stderr."""
    result = subprocess.run(
        [sys.executable, osp.join(TOOLS, script)] + [str(a) for a in args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f'{script} failed:\n{output[-5000:]}'
    return output


@pytest.fixture(scope='module')
def mcfa_run(fake_roots, tmp_path_factory):
    """mmdet's train.py on the demo MCFA config: 2 epochs of 3 batches
    (analyze_logs skips each epoch's first logged iteration as an outlier
    and files the first line after a validation under the epoch before:
    with 2 iterations an epoch it would have no times left)."""
    work_dir = tmp_path_factory.mktemp('mmdet_tools_mcfa')
    _run('train.py', DEMO, '--work-dir', work_dir, '--cfg-options',
         'train_cfg.max_epochs=2', 'train_cfg.val_interval=2',
         'train_dataloader.batch_size=3', 'default_hooks.logger.interval=1',
         *QUIET_LOADERS, env=_env(fake_roots))
    return work_dir


def test_train_and_test_on_mcfa(mcfa_run, fake_roots):
    assert osp.isfile(mcfa_run / 'epoch_2.pth')
    out = mcfa_run / 'results.pkl'
    output = _run('test.py', DEMO, mcfa_run / 'epoch_2.pth', '--work-dir',
                  mcfa_run, '--out', out, '--cfg-options', *QUIET_LOADERS,
                  env=_env(fake_roots))
    assert re.search(r'attr/mean_accuracy: [\d.]+', output)
    assert 'landmark/nme' in output
    with open(out, 'rb') as file:
        results = pickle.load(file)
    assert results and results[0]['pred_instances']['keypoints'].shape == (
        1, 5, 2)


def test_train_and_test_on_the_stock_face_detector(fake_roots, tmp_path):
    env = _env(fake_roots)
    _run('train.py', YOLOX, '--work-dir', tmp_path, '--cfg-options',
         'train_cfg.max_iters=2', 'train_cfg.val_interval=100',
         'train_dataloader.batch_size=4', 'param_scheduler=None',
         'default_hooks.logger.interval=1', *QUIET_LOADERS, env=env)
    # two iterations leave every score under the stock 0.01 threshold:
    # keep them all, so that CocoMetric has boxes to match on wild test
    output = _run('test.py', YOLOX, tmp_path / 'iter_2.pth', '--work-dir',
                  tmp_path, '--cfg-options', 'model.test_cfg.score_thr=0',
                  *QUIET_LOADERS, env=env)
    ap50 = re.search(r'coco/bbox_mAP_50: (-?[\d.]+)', output)
    assert ap50 and 0 <= float(ap50.group(1)) <= 1


def test_analyze_logs_reads_our_log(mcfa_run, fake_roots, tmp_path):
    log, = glob.glob(str(mcfa_run / '*' / 'vis_data' / '2*.json'))
    # analyze_logs imports seaborn (an optional mmdet dependency that
    # mcfa-mm does not install) only for plt's style: without it, a
    # stand-in with that one function; the log reading is the real test
    extra = ''
    if importlib.util.find_spec('seaborn') is None:
        (tmp_path / 'seaborn.py').write_text(
            'def set_style(style=None):\n    pass\n')
        extra = str(tmp_path)
    env = _env(fake_roots, extra)
    png = tmp_path / 'loss.png'
    _run('analysis_tools/analyze_logs.py', 'plot_curve', log, '--keys',
         'loss', 'l_loss_attr', '--out', png, env=env)
    assert cv2.imread(str(png)) is not None
    output = _run('analysis_tools/analyze_logs.py', 'cal_train_time', log,
                  env=env)
    assert re.search(r'average iter time: [\d.]+ s/iter', output)


def test_browse_dataset_draws_every_source(fake_roots, tmp_path):
    _run('analysis_tools/browse_dataset.py', MULTISOURCE, '--output-dir',
         tmp_path, '--not-show', '--cfg-options', *QUIET_LOADERS,
         env=_env(fake_roots))
    drawn = sorted(os.listdir(tmp_path))
    # CelebA crops (1826xx.jpg), LFWA (Person_k_0001.jpg), wild (k_0_0.jpg)
    assert any(re.fullmatch(r'1826\d\d\.jpg', name) for name in drawn)
    assert any(name.startswith('Person_') for name in drawn)
    assert any(re.fullmatch(r'\d+_0_0\.jpg', name) for name in drawn)
    # what the training pipeline made of them: 128 px crops
    assert {cv2.imread(str(tmp_path / n)).shape for n in drawn
            } == {(128, 128, 3)}


def test_get_flops_counts_the_crop_mode_network(fake_roots, data_env):
    output = _run('analysis_tools/get_flops.py', DEMO, '--num-images', '1',
                  '--cfg-options', *QUIET_LOADERS, env=_env(fake_roots))
    flops = float(re.search(r'Flops: ([\d.]+)M', output).group(1)) * 1e6
    # the same multiply-accumulates as our own count of one 64 px face
    # through S, M and L_Net (tools/analysis_tools/benchmark_speed.py)
    model = MODELS.build(Config.fromfile(osp.join(REPO_ROOT, DEMO)).model)
    ours = count_macs(model, model._forward, torch.rand(1, 3, 64, 64))
    assert flops == pytest.approx(ours['macs'], rel=0.02)


def test_det_inferencer(mcfa_run, fake_roots, data_env, tmp_path):
    from mmdet.apis import DetInferencer
    checkpoint = str(mcfa_run / 'epoch_2.pth')
    # unchanged: it looks for a transform named LoadImageFromFile, the name
    # our test pipelines give LoadFaceImageFromFile in the mcfa_mm scope
    # (mcfa_mm/registry.py)
    inferencer = DetInferencer(model=osp.join(REPO_ROOT, DEMO),
                               weights=checkpoint, device='cpu')
    images = sorted(
        glob.glob(osp.join(fake_roots['demo'], 'Img', 'img_celeba',
                           '*.jpg')))[:2]
    result = inferencer(images, out_dir=str(tmp_path), no_save_pred=False)
    assert [len(p['bboxes']) for p in result['predictions']] == [1, 1]
    assert sorted(os.listdir(tmp_path / 'vis')) == [
        osp.basename(i) for i in images
    ]
