"""The CPU-sized configs on a slice of the real face data, end to end.

``tools/train.py`` trains the multi-source config (CelebA crops, LFWA and
in-the-wild photos with mining, all through the real pipelines) for one
epoch of a 16-image slice per source, resumes it for a second epoch, and
``tools/test.py`` evaluates the checkpoint with the LFWA config on a slice of
LFWA's test split. Only the sizes change (through ``--cfg-options``), so the
configs, data roots and scripts are the ones users run.
"""
import glob
import json
import os
import os.path as osp
import pickle

import pytest

from mcfa_mm.testing import run_script
from mcfa_mm.utils import load_weights_only

pytestmark = pytest.mark.shared_data

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRAIN_CONFIG = ('configs/mcfa_study/'
                'mcfa_vgg16-w025-128px_1xb32-8e_celeba-multisource.py')
TEST_CONFIG = 'configs/mcfa_study/mcfa_vgg16-w025-128px_1xb32-8e_lfwa.py'
SLICE = 8  # images per source (and of the val / test split)
BATCH = 4
ITERS_PER_EPOCH = 3 * SLICE // BATCH  # three sources


def _loader_options(loader):
    """Small batches in the main process (worker start-up costs more)."""
    return [
        f'{loader}.batch_size={BATCH}', f'{loader}.num_workers=0',
        f'{loader}.persistent_workers=False'
    ]


# Shrink the run, never the model or the pipelines: the config's 8 epochs
# become 1 (then 2 on resume) of a slice. The last epoch always validates,
# so CelebA val is sliced too (all 997 images would take minutes).
TRAIN_OPTIONS = _loader_options('train_dataloader') + [
    # mmengine's merge_from_dict indexes lists with integer keys
    f'train_dataloader.dataset.datasets.{i}.indices={SLICE}' for i in range(3)
] + _loader_options('val_dataloader') + [
    f'val_dataloader.dataset.indices={SLICE}',
    # one record per iteration, so the resumed numbering can be read back
    'default_hooks.logger.interval=1',
    'randomness.seed=0',
]


def _run(args, env):
    """Run a script of the repository; fail with its output on error."""
    return run_script(args, env, timeout=240)


def _train_records(work_dir):
    """Training records of each run's ``scalars.json``, oldest run first."""
    runs = []
    for path in sorted(
            glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as file:
            records = [json.loads(line) for line in file]
        runs.append([r for r in records if 'loss' in r])
    return runs


@pytest.fixture(scope='module')
def data_env(shared_data_root):
    """Environment naming the real data roots, as the configs read them."""
    env = dict(os.environ)
    for name in ('celeba', 'lfwa', 'wild'):
        env[f'MCFA_{name.upper()}_ROOT'] = osp.join(shared_data_root, name)
    env['PYTHONPATH'] = os.pathsep.join([REPO_ROOT, env.get('PYTHONPATH', '')])
    return env


@pytest.fixture(scope='module')
def trained_and_resumed(data_env, tmp_path_factory):
    """Work dir after one epoch and a resumed second epoch."""
    work_dir = str(tmp_path_factory.mktemp('shared_train'))
    _run([
        'tools/train.py', TRAIN_CONFIG, '--work-dir', work_dir,
        '--cfg-options', 'train_cfg.max_epochs=1'
    ] + TRAIN_OPTIONS, data_env)
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
    first = load_weights_only(osp.join(work_dir, 'epoch_1.pth'))
    # --resume without a value: the latest checkpoint of the work dir
    result = _run([
        'tools/train.py', TRAIN_CONFIG, '--work-dir', work_dir, '--resume',
        '--cfg-options', 'train_cfg.max_epochs=2'
    ] + TRAIN_OPTIONS, data_env)
    return work_dir, first, result.stdout + result.stderr


def test_train_saves_a_checkpoint_of_the_slice(trained_and_resumed):
    work_dir, first, _ = trained_and_resumed
    assert first['meta']['epoch'] == 1
    assert first['meta']['iter'] == ITERS_PER_EPOCH
    records = _train_records(work_dir)[0]
    # the first run logged its iterations from 1, nothing else
    assert [r['iter'] for r in records] == list(range(1, ITERS_PER_EPOCH + 1))
    # every source reached the model through its pipeline: attributes
    # (CelebA, LFWA), boxes and landmarks (LFWA, wild, mined crops) all
    # gave a finite, non-zero loss at every stage
    for stage in 'sml':
        for task in ('cls', 'bbox', 'landmark', 'attr'):
            values = [r[f'{stage}_loss_{task}'] for r in records]
            assert all(v == v and v < float('inf') for v in values)
            assert max(values) > 0, (stage, task)


def test_resume_continues_the_iteration_count(trained_and_resumed):
    work_dir, first, log = trained_and_resumed
    assert 'resumed' in log.lower()
    second = load_weights_only(osp.join(work_dir, 'epoch_2.pth'))
    assert second['meta']['epoch'] == 2
    assert second['meta']['iter'] == 2 * ITERS_PER_EPOCH
    # the second run picks up after the first epoch, not at 1
    assert [r['iter'] for r in _train_records(work_dir)[1]
            ] == list(range(ITERS_PER_EPOCH + 1, 2 * ITERS_PER_EPOCH + 1))
    # and the weights moved on from the first checkpoint
    moved = [
        k for k, v in second['state_dict'].items()
        if v.is_floating_point() and not v.equal(first['state_dict'][k])
    ]
    assert moved


def test_lfwa_test_reports_every_task(trained_and_resumed, data_env, tmp_path):
    work_dir, _, _ = trained_and_resumed
    out = tmp_path / 'lfwa_results.pkl'
    _run([
        'tools/test.py', TEST_CONFIG,
        osp.join(work_dir, 'epoch_2.pth'), '--work-dir',
        str(tmp_path), '--out',
        str(out), '--cfg-options', f'test_dataloader.dataset.indices={SLICE}'
    ] + _loader_options('test_dataloader'), data_env)
    metrics_files = glob.glob(str(tmp_path / '*' / '*.json'))
    assert len(metrics_files) == 1, metrics_files
    with open(metrics_files[0]) as file:
        metrics = json.load(file)
    for key in ('attr/mean_accuracy', 'landmark/nme', 'face_cls/recall'):
        assert key in metrics, sorted(metrics)
        assert metrics[key] == metrics[key], key  # not NaN
    # LFWA's test split has faces only: no face / non-face accuracy
    assert 'face_cls/accuracy' not in metrics
    # counts reach the text log (MMEngine's JSON log writes them as null)
    log_text = open(glob.glob(str(tmp_path / '*' / '*.log'))[0]).read()
    assert 'face_cls/num_non_faces: 0 ' in log_text
    assert 0 <= metrics['attr/mean_accuracy'] <= 100
    assert metrics['landmark/nme'] > 0
    # every sliced face was predicted with 5 landmarks and 40 attributes
    with open(out, 'rb') as file:
        results = pickle.load(file)
    assert len(results) == SLICE
    pred = results[0]['pred_instances']
    assert pred['keypoints'].shape[-2:] == (5, 2)
    assert pred['attribute_scores'].shape[-1] == 40
