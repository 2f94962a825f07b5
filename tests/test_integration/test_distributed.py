"""Data-parallel training through MMEngine on CPU: 2 processes, gloo.

``tools/dist_train.sh`` starts two ranks with torchrun; ``tools/train.py``
builds the Runner with ``launcher='pytorch'``, which wraps a tiny MCFA in
``MMDistributedDataParallel``. Each rank trains on its own shard of a toy
in-memory dataset and a hook saves what the rank saw and its parameters
before and after training. If the gradients were not averaged across ranks,
the different shards would pull the two copies apart.
"""
import os
import os.path as osp
import signal
import socket
import subprocess
import sys
import textwrap

import pytest
import torch

from mcfa_mm.testing import tiny_mcfa_config
from tests.conftest import REPO_ROOT, toy_run_config, toy_run_env

WORLD_SIZE = 2
MAX_ITERS = 3
TIMEOUT_S = 150  # a hung rendezvous must fail the test, not stall CI

TOY_MODULE = '''
"""An in-memory face dataset and a hook that saves each rank's state."""
import os.path as osp

import torch
from mmengine.hooks import Hook
from torch.utils.data import Dataset

from mcfa_mm.testing import random_face_samples
from mmdet.registry import DATASETS, HOOKS


@DATASETS.register_module()
class ToyMemoryFaces(Dataset):
    """Random 64 px crops with every target; each index is different."""

    metainfo = dict(classes=('face', ),
                    attribute_names=tuple(f'attr_{i}' for i in range(8)))

    def __len__(self):
        return 16

    def __getitem__(self, index):
        sample = random_face_samples(1, 64, 8, seed=index)[0]
        sample.set_metainfo(dict(img_id=index))
        image = torch.rand(3, 64, 64,
                           generator=torch.Generator().manual_seed(index))
        return dict(inputs=image * 255, data_samples=sample)


@HOOKS.register_module()
class SaveRankStateHook(Hook):
    """Writes ``rank{r}.pth``: world size, image ids, parameters."""

    def before_train(self, runner):
        self.seen = []
        self.initial = self._parameters(runner)

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.seen += [s.img_id for s in data_batch['data_samples']]

    def after_train(self, runner):
        torch.save(
            dict(world_size=runner.world_size,
                 wrapper=type(runner.model).__name__,
                 seen=self.seen,
                 initial=self.initial,
                 final=self._parameters(runner)),
            osp.join(runner.work_dir, f'rank{runner.rank}.pth'))

    @staticmethod
    def _parameters(runner):
        model = getattr(runner.model, 'module', runner.model)
        return {name: param.detach().clone()
                for name, param in model.named_parameters()}
'''

#: What the config adds to :func:`toy_run_config`.
CONFIG = '''
train_dataloader = dict(
    batch_size=2, num_workers=0, dataset=dict(type='ToyMemoryFaces'),
    sampler=dict(type='DefaultSampler', shuffle=True))
train_cfg = dict(type='IterBasedTrainLoop', max_iters={max_iters})
custom_hooks = [dict(type='SaveRankStateHook')]
randomness = dict(seed=0)
'''


def _free_port():
    """A TCP port nobody listens on now (another test may run in parallel)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def ranks(tmp_path_factory):
    """What each of the two ranks saved after training."""
    tmp_path = tmp_path_factory.mktemp('ddp')
    (tmp_path / 'toy_ddp.py').write_text(textwrap.dedent(TOY_MODULE))
    config = tmp_path / 'tiny_mcfa_ddp.py'
    config.write_text(
        toy_run_config('toy_ddp', tiny_mcfa_config(), lr=0.05,
                       log_interval=1, checkpoint_interval=MAX_ITERS) +
        CONFIG.format(max_iters=MAX_ITERS))
    work_dir = tmp_path / 'work'
    env = toy_run_env(tmp_path)
    env.update(
        PYTHON=sys.executable,
        PORT=str(_free_port()),
        # one thread per rank: the ranks share the CPU cores
        OMP_NUM_THREADS='1')
    command = [
        'bash', 'tools/dist_train.sh',
        str(config),
        str(WORLD_SIZE), '--work-dir',
        str(work_dir)
    ]
    # a session of its own, so a timeout can stop torchrun and both ranks
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True)
    try:
        output, _ = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f'distributed training hung:\n{output[-5000:]}')
    assert process.returncode == 0, output[-8000:]
    states = [
        torch.load(str(work_dir / f'rank{rank}.pth'))
        for rank in range(WORLD_SIZE)
    ]
    return work_dir, states


def test_both_ranks_ran_data_parallel(ranks):
    work_dir, states = ranks
    for state in states:
        assert state['world_size'] == WORLD_SIZE
        assert state['wrapper'] == 'MMDistributedDataParallel'
        assert len(state['seen']) == MAX_ITERS * 2  # batch_size=2
    # the sampler gave the ranks disjoint shards, so only synchronised
    # gradients can keep their parameters equal
    assert not set(states[0]['seen']) & set(states[1]['seen'])
    # rank 0 alone saved the checkpoint
    assert osp.isfile(work_dir / f'iter_{MAX_ITERS}.pth')


def test_ranks_agree_on_every_parameter(ranks):
    _, (first, second) = ranks
    assert first['final'].keys() == second['final'].keys()
    for name, value in first['final'].items():
        assert torch.allclose(value, second['final'][name], atol=1e-6), name


def test_training_changed_the_parameters(ranks):
    _, states = ranks
    for state in states:
        changed = [
            name for name, value in state['final'].items()
            if not torch.equal(value, state['initial'][name])
        ]
        # every stage's backbone and head learned, not just a stray layer
        assert len(changed) > len(state['final']) // 2, changed
