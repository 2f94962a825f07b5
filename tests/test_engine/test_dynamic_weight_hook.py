"""DynamicWeightLoggerHook: message hub, visualizer and the runner's log."""
import json
import math
import os.path as osp
import uuid
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub

from mcfa_mm.engine.hooks import DynamicWeightLoggerHook
from mcfa_mm.engine.hooks.dynamic_weight_hook import weight_entropy
from mcfa_mm.testing import RandomFaceCrops, crops_loader, tiny_mcfa_config
from mcfa_mm.utils.training_logs import load_scalars, weight_series

NAMES = ('Smiling', 'Male', 'Young', 'Eyeglasses')


class _WeightedModel(nn.Module):
    """Stands in for MCFA: only ``dynamic_weights()`` matters here."""

    def __init__(self, weights: dict) -> None:
        super().__init__()
        self.weights = weights

    def dynamic_weights(self) -> dict:
        return self.weights


def _fake_runner(tmp_path, model, iteration: int, names=NAMES):
    """The runner attributes the hook reads, with a recording visualizer."""
    dataset = SimpleNamespace(metainfo=dict(attribute_names=names))
    visualizer = SimpleNamespace(calls=[])
    visualizer.add_scalars = lambda scalars, step: visualizer.calls.append(
        (scalars, step))
    return SimpleNamespace(
        model=model,
        iter=iteration,
        work_dir=str(tmp_path),
        message_hub=MessageHub.get_instance(f'dyn_hook_{uuid.uuid4().hex}'),
        visualizer=visualizer,
        train_dataloader=SimpleNamespace(dataset=dataset))


def _weights():
    return dict(
        s=torch.full((4, ), 0.25), l=torch.tensor([0.7, 0.1, 0.1, 0.1]))


def test_weight_entropy():
    assert weight_entropy(torch.full((8, ), 1 / 8)) == pytest.approx(
        math.log(8), rel=1e-5)
    assert weight_entropy(torch.tensor([1., 0., 0.])) == pytest.approx(0.0)
    # renormalised: the scale of the weights does not matter
    assert weight_entropy(torch.full((4, ), 3.)) == pytest.approx(
        math.log(4), rel=1e-5)
    assert weight_entropy(torch.zeros(3)) == 0.0


def test_hook_writes_the_message_hub_only(tmp_path):
    hook = DynamicWeightLoggerHook(interval=2)
    runner = _fake_runner(tmp_path, _WeightedModel(_weights()), iteration=0)
    hook.after_train_iter(runner, batch_idx=0)  # iteration 1: not logged
    assert not any('dyn_weight' in k for k in runner.message_hub.log_scalars)

    runner.iter = 1  # iteration 2
    hook.after_train_iter(runner, batch_idx=1)
    scalars = runner.message_hub.log_scalars
    assert scalars['train/dyn_weight/l/Smiling'].current() == pytest.approx(
        0.7)
    assert scalars['train/dyn_weight/s/Eyeglasses'].current() == \
        pytest.approx(0.25)
    assert scalars['train/dyn_weight/s/entropy'].current() == pytest.approx(
        math.log(4), rel=1e-5)
    assert scalars['train/dyn_weight/l/entropy'].current() < math.log(4)
    # MMEngine's scalars are the one copy: no file of the hook's own
    assert list(tmp_path.iterdir()) == []


def test_hook_stage_filter_visualizer_and_wrapper(tmp_path):
    hook = DynamicWeightLoggerHook(
        interval=1, stages=('l', ), add_to_visualizer=True)
    # DataParallel is a registered model wrapper: the hook must unwrap it.
    model = nn.DataParallel(_WeightedModel(_weights()))
    runner = _fake_runner(tmp_path, model, iteration=4)
    hook.after_train_iter(runner, batch_idx=0)
    keys = set(runner.message_hub.log_scalars)
    assert 'train/dyn_weight/l/Male' in keys
    assert 'train/dyn_weight/s/Male' not in keys  # filtered out
    assert 'train/dyn_weight/s/entropy' in keys  # entropies always logged
    (scalars, step), = runner.visualizer.calls
    assert step == 5 and 'dyn_weight/l/Young' in scalars


def test_hook_names_fallback_and_models_without_weights(tmp_path):
    hook = DynamicWeightLoggerHook(interval=1)
    # 3 names for 4 weights: index names rather than wrong names
    runner = _fake_runner(
        tmp_path, _WeightedModel(_weights()), 0, names=NAMES[:3])
    hook.after_train_iter(runner, batch_idx=0)
    assert 'train/dyn_weight/l/attr_3' in runner.message_hub.log_scalars

    runner = _fake_runner(tmp_path / 'x', nn.Linear(2, 2), 0)
    hook.after_train_iter(runner, batch_idx=0)  # warns, logs nothing
    assert not any('dyn_weight' in k for k in runner.message_hub.log_scalars)

    # nothing trained yet: empty dict, nothing logged
    empty = _fake_runner(tmp_path / 'y', _WeightedModel({}), 0)
    hook.after_train_iter(empty, batch_idx=0)
    assert not any('dyn_weight' in k for k in empty.message_hub.log_scalars)

    with pytest.raises(ValueError):
        DynamicWeightLoggerHook(interval=0)


def test_weights_reach_the_runner_json_log(tmp_path):
    """A real Runner: the weights land in vis_data/scalars.json."""
    from mmengine.runner import Runner

    runner = Runner(
        model=tiny_mcfa_config(num_attributes=4),
        work_dir=str(tmp_path),
        train_dataloader=crops_loader(
            RandomFaceCrops(num_attributes=4, attribute_names=NAMES[:4])),
        train_cfg=dict(by_epoch=False, max_iters=4, val_interval=100),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=2), checkpoint=None),
        custom_hooks=[dict(type='DynamicWeightLoggerHook', interval=2)],
        log_processor=dict(by_epoch=False),
        default_scope='mmdet',
        experiment_name=f'dyn_weight_hook_{id(tmp_path)}')
    runner.train()

    scalar_file = osp.join(runner.log_dir, 'vis_data', 'scalars.json')
    with open(scalar_file) as file:
        records = [json.loads(line) for line in file]
    logged = [r for r in records if 'dyn_weight/l/Smiling' in r]
    assert [r['step'] for r in logged] == [2, 4]
    for record in logged:
        weights = [record[f'dyn_weight/l/{name}'] for name in NAMES]
        assert sum(weights) == pytest.approx(1.0, abs=1e-4)
        for stage in 'sml':
            assert 0 <= record[f'dyn_weight/{stage}/entropy'] <= math.log(
                4) + 1e-5

    # what plot_logs.py reads back: every stage, names in order
    series = weight_series(load_scalars(str(tmp_path)))
    assert sorted(series) == ['l', 'm', 's']
    assert series['l']['steps'] == [2, 4]
    assert series['l']['names'] == list(NAMES)
    assert series['l']['weights'][-1] == pytest.approx(
        [logged[-1][f'dyn_weight/l/{name}'] for name in NAMES])
    assert not osp.exists(osp.join(tmp_path, 'dynamic_weights.jsonl'))
