"""A NaN or inf loss stops training with a message naming the loss, its
stage and task, before that step is checkpointed."""
import os.path as osp

import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mcfa_mm.engine.hooks.invalid_loss_hook import (describe_loss,
                                                    non_finite_losses)
from mcfa_mm.testing import random_face_samples, tiny_mcfa_config


class _Crops(Dataset):
    """Four random face crops; ``poison`` spoils one kind of target of the
    samples from index 4 on (the second batch of 4)."""

    def __init__(self, poison):
        self.poison = poison

    def __len__(self):
        return 8

    def __getitem__(self, index):
        sample = random_face_samples(1, 64, 8, seed=index)[0]
        image = torch.rand(3, 64, 64) * 255
        if index >= 4 and self.poison == 'boxes':
            sample.gt_instances.bboxes[:] = float('nan')
        if index >= 4 and self.poison == 'keypoints':
            sample.gt_instances.keypoints[:] = float('inf')
        return dict(inputs=image, data_samples=sample)


def _train(work_dir, poison):
    runner = Runner(
        model=tiny_mcfa_config(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=_Crops(poison),
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=pseudo_collate,
            batch_size=4),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=3),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1,
                            by_epoch=False),
            check_loss=dict(type='CheckFiniteLossHook')),
        default_scope='mmdet')
    runner.train()


def test_nan_loss_stops_at_its_iteration(tmp_path):
    with pytest.raises(FloatingPointError,
                       match=r'iteration 2 .*s_loss_bbox \(stage s, task '
                       r'bbox\) = nan') as error:
        _train(str(tmp_path), 'boxes')
    assert 'l_loss_bbox (stage l, task bbox)' in str(error.value)
    assert 'task cls' not in str(error.value)
    # iteration 1 was saved, the poisoned step never was
    assert osp.isfile(tmp_path / 'iter_1.pth')
    assert not osp.exists(tmp_path / 'iter_2.pth')
    with open(tmp_path / 'last_checkpoint') as file:
        assert file.read().strip().endswith('iter_1.pth')


def test_only_the_bad_task_is_named(tmp_path):
    with pytest.raises(FloatingPointError, match='task landmark') as error:
        _train(str(tmp_path), 'keypoints')
    assert 'task cls' not in str(error.value)
    assert 'task attr' not in str(error.value)


def test_finite_losses_pass_and_names_parse():
    assert non_finite_losses(dict(loss=torch.tensor(1.), acc=float('nan'))
                             ) == {}
    assert non_finite_losses(dict(loss=float('inf'))) == dict(loss=float(
        'inf'))
    assert describe_loss('m_loss_bbox') == 'm_loss_bbox (stage m, task bbox)'
    assert describe_loss('loss') == 'loss'
