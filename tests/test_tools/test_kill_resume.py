"""Training survives SIGKILL: in the middle of an epoch and while a
checkpoint is being written, ``tools/train.py --resume`` continues from the
last complete checkpoint, and ends exactly where an uninterrupted run ends.

The kills are real ``SIGKILL``s from this process; the child only pauses
at the chosen moment (after an iteration, or halfway through writing a
checkpoint) and says so with a marker file, so the kill lands there every
time. Uses the project's default runtime (atomic checkpoint writes, the
finite-loss check).
"""
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from mcfa_mm.testing import tiny_mcfa_config
from mcfa_mm.utils import load_weights_only

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

TOY_MODULE = '''
"""Eight deterministic random face crops, packed; a hook and a checkpoint
writer that pause where the test wants to kill."""
import os
import time

from mmengine.hooks import Hook

import mcfa_mm.utils.atomic_file_backend as atomic
from mcfa_mm.testing import RandomFaceCrops
from mmdet.registry import DATASETS, HOOKS

MARKER = os.environ.get('TOY_MARKER', '')


def pause():
    open(MARKER, 'w').close()
    time.sleep(300)  # the test kills us here


DATASETS.register_module(name='KillToyFaces', module=RandomFaceCrops)


@HOOKS.register_module()
class PauseAfterIterHook(Hook):
    priority = 'LOWEST'

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == int(os.environ.get('TOY_PAUSE_AFTER_ITER', 0)):
            pause()


_atomic_write = atomic.atomic_write


def _write_half_then_pause(file, data, chunk_size=None):
    file.write(data[:len(data) // 2])
    file.flush()
    pause()


def _paused_atomic_write(data, filepath, encoding='utf-8'):
    target = os.environ.get('TOY_PAUSE_IN_SAVE')
    if target and str(filepath).endswith(target):
        atomic.write_chunks = _write_half_then_pause
    return _atomic_write(data, filepath, encoding)


atomic.atomic_write = _paused_atomic_write
'''

CONFIG = '''
_base_ = {runtime!r}
custom_imports = dict(imports=['kill_toy', 'mcfa_mm'],
                      allow_failed_imports=False)
model = {model!r}
train_dataloader = dict(
    batch_size=2, num_workers=0, dataset=dict(type='KillToyFaces'),
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=6, val_interval=100)
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(by_epoch=False, interval=2))
custom_hooks = [dict(type='PauseAfterIterHook')]
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
'''


def _env(tmp_path, **toy):
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [str(tmp_path), REPO_ROOT, env.get('PYTHONPATH', '')])
    env['TOY_MARKER'] = str(tmp_path / 'paused')
    env.update({f'TOY_{k.upper()}': str(v) for k, v in toy.items()})
    return env


def _train(tmp_path, work_dir, *extra, **toy):
    """Run tools/train.py to the end, or, with a pause, until it pauses,
    and SIGKILL it there."""
    marker = tmp_path / 'paused'
    if marker.exists():
        marker.unlink()
    proc = subprocess.Popen(
        [sys.executable, 'tools/train.py',
         str(tmp_path / 'config.py'), '--work-dir',
         str(work_dir), *extra],
        cwd=REPO_ROOT, env=_env(tmp_path, **toy),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 600
    while toy and not marker.exists():
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail('training did not reach the pause:\n' +
                        proc.communicate()[0][-5000:])
        time.sleep(0.2)
    if toy:
        proc.kill()  # SIGKILL
    output = proc.communicate(timeout=600)[0]
    if toy:
        assert proc.returncode == -9
    else:
        assert proc.returncode == 0, output[-5000:]
    return output


def _last_checkpoint(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as file:
        return osp.basename(file.read().strip())


def _logged_iters(work_dir):
    """Iterations the latest run logged (MMEngine's scalars.json)."""
    runs = sorted(glob.glob(osp.join(work_dir, '2*', 'vis_data',
                                     'scalars.json')))
    with open(runs[-1]) as file:
        return [json.loads(line)['iter'] for line in file]


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('kill')
    (tmp_path / 'kill_toy.py').write_text(TOY_MODULE)
    (tmp_path / 'config.py').write_text(
        textwrap.dedent(
            CONFIG.format(
                runtime=osp.join(REPO_ROOT, 'configs', '_base_',
                                 'default_runtime.py'),
                model=tiny_mcfa_config())))
    reference = tmp_path / 'reference'
    _train(tmp_path, reference)
    return tmp_path, load_weights_only(str(reference / 'iter_6.pth'))


def test_sigkill_while_saving_then_mid_epoch_then_resume(setup):
    tmp_path, reference = setup
    work_dir = tmp_path / 'killed'

    # 1. killed halfway through writing iter_4.pth
    _train(tmp_path, work_dir, pause_in_save='iter_4.pth')
    assert not (work_dir / 'iter_4.pth').exists()
    assert glob.glob(str(work_dir / '.iter_4.pth.*.tmp'))  # the half file
    assert _last_checkpoint(work_dir) == 'iter_2.pth'

    # 2. resumed from iter_2, killed after iteration 5 (mid-epoch: 4
    #    iterations per epoch)
    output = _train(tmp_path, work_dir, '--resume', pause_after_iter=5)
    assert 'resumed' in output.lower()
    assert _logged_iters(work_dir)[0] == 3  # a fresh run would log 1
    assert _last_checkpoint(work_dir) == 'iter_4.pth'
    assert not (work_dir / 'iter_6.pth').exists()

    # 3. resumed from iter_4 to the end
    _train(tmp_path, work_dir, '--resume')
    assert _logged_iters(work_dir) == [5, 6]
    resumed = load_weights_only(str(work_dir / 'iter_6.pth'))
    assert resumed['meta']['iter'] == 6
    # weights and SGD momentum as if never interrupted: a restart from the
    # weights alone (no momentum, data order from the start) differs
    for key, value in reference['state_dict'].items():
        torch.testing.assert_close(resumed['state_dict'][key], value,
                                   msg=key)
    for index, state in reference['optimizer']['state'].items():
        torch.testing.assert_close(
            resumed['optimizer']['state'][index]['momentum_buffer'],
            state['momentum_buffer'])
