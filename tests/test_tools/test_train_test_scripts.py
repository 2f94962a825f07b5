"""tools/train.py, tools/test.py, image_demo.py and plot_logs.py end to end.

A tiny MCFA trains for a few iterations on random face crops from a toy
dataset (a module put on ``PYTHONPATH`` and named in ``custom_imports``, so
the scripts run as users run them), resumes, is tested with ``--out`` and
``--show-dir``, and the work dir is plotted.
"""
import glob
import json
import os.path as osp
import pickle
import textwrap

import pytest

from mcfa_mm.testing import run_script, tiny_mcfa_config
from tests.conftest import toy_run_config, toy_run_env

NAMES = ('Smiling', 'Male', 'Young', 'Eyeglasses')

TOY_MODULE = '''
"""Random face crops on disk, already packed (no pipeline)."""
import os
import os.path as osp

import mmcv
import numpy as np
import torch
from torch.utils.data import Dataset

from mmdet.registry import DATASETS
from mcfa_mm.testing import random_face_samples


@DATASETS.register_module()
class ToyPackedFaces(Dataset):

    # lazy_init: mmdet's init_detector builds the test set for its palette
    def __init__(self, img_dir, size=8, input_size=64, lazy_init=False):
        self.metainfo = dict(classes=('face', ), attribute_names={names},
                             landmark_names=('left_eye', 'right_eye', 'nose',
                                             'left_mouth', 'right_mouth'))
        self.samples = random_face_samples(size, input_size, {num})
        self.paths = []
        os.makedirs(img_dir, exist_ok=True)
        rng = np.random.RandomState(0)
        for i, sample in enumerate(self.samples):
            path = osp.join(img_dir, f'face_{{i}}.jpg')
            mmcv.imwrite(rng.randint(0, 255, (input_size, input_size, 3),
                                     np.uint8), path)
            sample.set_metainfo(dict(img_path=path, img_id=i))
            self.paths.append(path)

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        image = mmcv.imread(self.paths[index]).transpose(2, 0, 1)
        return dict(inputs=torch.from_numpy(np.ascontiguousarray(image)),
                    data_samples=self.samples[index])
'''.format(
    names=repr(NAMES), num=len(NAMES))

#: What the config adds to :func:`toy_run_config`.
CONFIG = '''
_data = dict(type='ToyPackedFaces', img_dir={img_dir!r})
train_dataloader = dict(
    batch_size=4, num_workers=0, dataset=_data,
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=4, num_workers=0, dataset=_data,
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='AttributeAccuracy')
test_evaluator = val_evaluator
train_cfg = dict(type='IterBasedTrainLoop', max_iters=4, val_interval=4)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
custom_hooks = [dict(type='DynamicWeightLoggerHook', interval=2)]
visualizer = dict(type='FaceVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')],
                  name='visualizer')
'''


def _run(args, tmp_path, timeout=300):
    return run_script(args, toy_run_env(tmp_path), timeout)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """Config, work dir and checkpoint of a 4-iteration training run."""
    tmp_path = tmp_path_factory.mktemp('tools')
    (tmp_path / 'toy_faces.py').write_text(TOY_MODULE)
    config = tmp_path / 'tiny_mcfa.py'
    config.write_text(
        toy_run_config(
            'toy_faces', tiny_mcfa_config(num_attributes=len(NAMES)),
            lr=0.01, log_interval=2, checkpoint_interval=4,
            visualization=dict(type='DetVisualizationHook')) +
        textwrap.dedent(CONFIG.format(img_dir=str(tmp_path / 'imgs'))))
    work_dir = tmp_path / 'work'
    _run(['tools/train.py',
          str(config), '--work-dir',
          str(work_dir)], tmp_path)
    return tmp_path, config, work_dir


def test_train_writes_checkpoint_logs_and_weights(trained):
    _, _, work_dir = trained
    assert osp.isfile(work_dir / 'iter_4.pth')
    scalars, = glob.glob(str(work_dir / '*' / 'vis_data' / 'scalars.json'))
    with open(scalars) as file:
        records = [json.loads(line) for line in file]
    assert any('dyn_weight/l/Smiling' in r and 'l_loss_attr' in r
               for r in records)
    assert any('attr/acc/Male' in r for r in records)  # the validation
    # the hook's weights live in MMEngine's scalars only
    assert not osp.exists(work_dir / 'dynamic_weights.jsonl')


def test_resume_continues_from_the_latest_checkpoint(trained):
    tmp_path, config, work_dir = trained
    result = _run([
        'tools/train.py',
        str(config), '--work-dir',
        str(work_dir), '--resume', '--cfg-options', 'train_cfg.max_iters=6',
        'train_cfg.val_interval=100'
    ], tmp_path)
    assert 'resumed' in (result.stdout + result.stderr).lower()
    from mcfa_mm.utils.training_logs import load_scalars
    # the resumed run logs from iteration 6 on; a fresh one would log 2, 4, 6
    steps = [r['step'] for r in load_scalars(str(work_dir), latest_run=True)
             if 'dyn_weight/l/Smiling' in r]
    assert steps == [6]


def test_test_dumps_results_and_draws(trained):
    tmp_path, config, work_dir = trained
    out = tmp_path / 'results.pkl'
    _run([
        'tools/test.py',
        str(config),
        str(work_dir / 'iter_4.pth'), '--work-dir',
        str(work_dir), '--out',
        str(out), '--show-dir', 'show'
    ], tmp_path)
    with open(out, 'rb') as file:
        results = pickle.load(file)
    assert len(results) == 8
    assert results[0]['pred_instances']['attribute_scores'].shape == (1, 4)
    drawn = glob.glob(str(work_dir / '*' / 'show' / 'face_*.jpg'))
    assert len(drawn) == 8


def test_image_demo_and_plot_logs(trained):
    tmp_path, config, work_dir = trained
    out_file = tmp_path / 'demo.jpg'
    result = _run([
        'tools/demo/image_demo.py',
        str(tmp_path / 'imgs' / 'face_0.jpg'),
        str(config),
        str(work_dir / 'iter_4.pth'), '--device', 'cpu', '--mode', 'crop',
        '--score-thr', '0', '--out-file',
        str(out_file), '--out-dir',
        str(tmp_path / 'demo')
    ], tmp_path)
    assert ': 1 face\n' in result.stdout
    # one JSON line per image
    with open(tmp_path / 'demo' / 'faces.jsonl') as file:
        summary, = [json.loads(line) for line in file]
    face, = summary['faces']
    assert len(face['keypoints']) == 5 and len(face['attributes']) == 4
    assert {name for name, _ in face['attributes']} <= set(NAMES)
    assert osp.getsize(out_file) > 0

    result = _run(['tools/analysis_tools/plot_logs.py',
                   str(work_dir)], tmp_path)
    summary = json.loads(result.stdout)
    assert sorted(osp.basename(p) for p in summary['files']) == [
        'attribute_accuracy.png', 'dynamic_weights_l.png'
    ]
