"""Checkpoints saved by MMEngine's Runner load again, weights-only."""
import os.path as osp
import pickle

import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner import Runner

from mcfa_mm.testing import RandomFaceCrops, crops_loader, tiny_mcfa_config
from mcfa_mm.utils import load_weights_only


def _runner(work_dir, max_iters, attr_mode='adversarial', **kwargs):
    return Runner(
        model=tiny_mcfa_config(attr_mode=attr_mode),
        work_dir=work_dir,
        train_dataloader=crops_loader(RandomFaceCrops()),
        # momentum: a resume that loses the optimizer state shows
        optim_wrapper=dict(
            optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=2,
                            by_epoch=False)),
        default_scope='mmdet',
        **kwargs)


@pytest.fixture(scope='module')
def saved_checkpoint(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('ckpt_run'))
    runner = _runner(work_dir, max_iters=2)
    runner.train()
    path = osp.join(work_dir, 'iter_2.pth')
    assert osp.isfile(path)
    return work_dir, path, runner.model.state_dict()


def test_load_from_restores_weights(saved_checkpoint, tmp_path):
    _, path, state = saved_checkpoint
    runner = _runner(str(tmp_path), max_iters=2, load_from=path)
    runner.load_or_resume()
    for key, value in runner.model.state_dict().items():
        assert torch.equal(value, state[key]), key


@pytest.mark.parametrize('attr_mode', ['adversarial', 'loss_driven'])
def test_resume_ends_where_the_uninterrupted_run_ends(tmp_path, attr_mode):
    """4 iterations in one go, or 2 and a resume from ``iter_2.pth``: the
    same weights at the end. Only a resume that restores the weights, the
    optimizer's momentum, the iteration count, the data position and the
    loss-driven running losses gives that; a fresh run (other initial
    weights) or a weights-only load (no momentum, 4 more iterations) does
    not."""
    whole = _runner(str(tmp_path / 'whole'), max_iters=4, attr_mode=attr_mode)
    whole.train()
    resumed = _runner(
        str(tmp_path / 'resumed'),
        max_iters=4,
        attr_mode=attr_mode,
        load_from=str(tmp_path / 'whole' / 'iter_2.pth'),
        resume=True)
    resumed.train()
    assert resumed.iter == 4
    assert osp.isfile(str(tmp_path / 'resumed' / 'iter_4.pth'))
    # the message hub (HistoryBuffer, numpy) came back from the checkpoint
    assert resumed.message_hub.get_info('iter') is not None
    expected = whole.model.state_dict()
    for key, value in resumed.model.state_dict().items():
        torch.testing.assert_close(value, expected[key], msg=key)
    if attr_mode == 'loss_driven':
        assert any(key.endswith('loss_ema') for key in expected)


def test_weights_only_default_stays_on(saved_checkpoint):
    _, path, _ = saved_checkpoint
    # plain torch.load still refuses the HistoryBuffer: nothing was added to
    # torch's global allow-list
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)
    assert HistoryBuffer not in torch.serialization.get_safe_globals()
    assert 'message_hub' in load_weights_only(path)


class _Hostile:

    def __reduce__(self):
        import os
        return (os.system, ('echo pwned > /dev/null', ))


def test_hostile_pickle_is_refused(tmp_path):
    path = str(tmp_path / 'hostile.pth')
    torch.save({'state_dict': {}, 'meta': _Hostile()}, path)
    with pytest.raises(pickle.UnpicklingError):
        load_weights_only(path)


def test_getattr_gadget_is_refused(tmp_path):
    path = str(tmp_path / 'getattr.pth')

    class _Gadget:

        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))

    torch.save({'meta': _Gadget()}, path)
    with pytest.raises(pickle.UnpicklingError):
        load_weights_only(path)


def test_restricted_getattr_answers_only_statistics():
    from mcfa_mm.utils.checkpoint_safety import history_buffer_getattr
    assert history_buffer_getattr(HistoryBuffer, 'mean') is HistoryBuffer.mean
    with pytest.raises(pickle.UnpicklingError):
        history_buffer_getattr(HistoryBuffer, '__init__')
    with pytest.raises(pickle.UnpicklingError):
        history_buffer_getattr(torch, 'load')
