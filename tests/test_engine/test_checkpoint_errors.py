"""A truncated checkpoint, or one of another model, fails with an error
naming the file (and the first mismatched keys) instead of a zip error or
MMEngine's warning-and-random-weights."""
import pickle

import pytest
import torch
from mmengine.runner import Runner

from mcfa_mm.testing import RandomFaceCrops, crops_loader, tiny_mcfa_config
from mcfa_mm.utils import (CheckpointError, check_checkpoint_fits,
                           load_weights_only)
from mmdet.registry import MODELS


def _runner(work_dir, load_from, **model_kwargs):
    return Runner(
        model=tiny_mcfa_config(**model_kwargs),
        work_dir=work_dir,
        train_dataloader=crops_loader(RandomFaceCrops(length=4)),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=1),
        default_hooks=dict(checkpoint_fit=dict(type='CheckpointFitHook')),
        load_from=load_from,
        default_scope='mmdet')


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """A checkpoint of the tiny model with 8 attributes."""
    path = str(tmp_path_factory.mktemp('ckpt') / 'tiny.pth')
    torch.manual_seed(0)
    model = MODELS.build(tiny_mcfa_config())
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return path


def test_truncated_checkpoint_names_the_file(checkpoint, tmp_path):
    path = str(tmp_path / 'cut.pth')
    with open(checkpoint, 'rb') as file:
        data = file.read()
    with open(path, 'wb') as file:
        file.write(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match='truncated or corrupt') as error:
        load_weights_only(path)
    assert error.value.path == path and path in str(error.value)


def test_hostile_pickle_still_refused_and_named(tmp_path):

    class _Hostile:

        def __reduce__(self):
            import os
            return (os.system, ('echo pwned > /dev/null', ))

    path = str(tmp_path / 'hostile.pth')
    torch.save({'meta': _Hostile()}, path)
    with pytest.raises(pickle.UnpicklingError, match='hostile.pth'):
        load_weights_only(path)


def test_other_model_names_file_and_first_keys(checkpoint):
    model = MODELS.build(tiny_mcfa_config(num_attributes=5))
    state = torch.load(checkpoint, weights_only=True)
    state['state_dict']['extra.weight'] = torch.zeros(1)
    del state['state_dict']['backbone.s_net.conv1_1.weight']
    with pytest.raises(CheckpointError) as error:
        check_checkpoint_fits(model, state, checkpoint)
    message = str(error.value)
    assert message.startswith(checkpoint)
    assert '1 missing key(s): backbone.s_net.conv1_1.weight' in message
    assert '1 unexpected key(s): extra.weight' in message
    # 8 attributes saved, 5 in the model: the attribute layers' shapes
    assert 'shape key(s): head.branches.0.' in message
    assert 'checkpoint (8,' in message and 'model (5,' in message


def test_same_model_fits(checkpoint):
    model = MODELS.build(tiny_mcfa_config())
    check_checkpoint_fits(model, torch.load(checkpoint, weights_only=True),
                          checkpoint)
    # DataParallel / DDP prefixes are stripped as MMEngine strips them
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    check_checkpoint_fits(model, {f'module.{k}': v
                                  for k, v in state.items()}, checkpoint)


def test_runner_refuses_load_from_of_another_model(checkpoint, tmp_path):
    runner = _runner(str(tmp_path / 'other'), checkpoint, num_attributes=5)
    with pytest.raises(CheckpointError, match='tiny.pth: does not fit MCFA'):
        runner.load_or_resume()
    # the same model loads, and its weights are the checkpoint's
    runner = _runner(str(tmp_path / 'same'), checkpoint)
    runner.load_or_resume()
    saved = torch.load(checkpoint, weights_only=True)['state_dict']
    for key, value in runner.model.state_dict().items():
        assert torch.equal(value, saved[key]), key


def test_non_strict_hook_only_warns(checkpoint, tmp_path):
    runner = _runner(str(tmp_path), checkpoint, num_attributes=5)
    runner._hooks = [h for h in runner._hooks
                     if type(h).__name__ != 'CheckpointFitHook']
    runner.register_hook(dict(type='CheckpointFitHook', strict=False))
    runner.load_or_resume()  # MMEngine's own warning path
