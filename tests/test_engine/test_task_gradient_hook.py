"""TaskGradientShareHook: per-task gradient norms at the shared trunk."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub

from mcfa_mm.engine.hooks import TaskGradientShareHook, task_gradient_norms
from mcfa_mm.testing import random_face_samples, tiny_mcfa_config
from mmdet.registry import MODELS


def _batch(seed: int = 0) -> dict:
    generator = torch.Generator().manual_seed(seed)
    inputs = [
        torch.randint(0, 256, (3, 64, 64), generator=generator,
                      dtype=torch.uint8) for _ in range(4)
    ]
    samples = random_face_samples(4, 64, 4, face_labels=[1, 0, 1, -1])
    return dict(inputs=inputs, data_samples=samples)


def _model(landmark_weight: float = 1.0):
    cfg = tiny_mcfa_config(input_size=64, num_attributes=4)
    cfg['head'].update(loss_weights=dict(landmark=landmark_weight))
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.train()
    return model


def test_norms_scale_with_the_task_weight_and_leave_buffers_alone():
    batch = _batch()
    model = _model()
    before = {k: v.clone() for k, v in model.named_buffers()}
    norms = task_gradient_norms(model, batch)
    assert set(norms) == {'cls', 'bbox', 'landmark', 'attr'}
    for name, value in model.named_buffers():
        assert torch.equal(value, before[name]), name
    # no gradient is left on the parameters
    assert all(p.grad is None for p in model.parameters())

    heavy = _model(landmark_weight=10.0)
    heavy_norms = task_gradient_norms(heavy, batch)
    assert heavy_norms['landmark'] == pytest.approx(
        10 * norms['landmark'], rel=1e-3)
    assert heavy_norms['attr'] == pytest.approx(norms['attr'], rel=1e-3)


def test_hook_puts_shares_that_add_up_to_one_into_the_message_hub():
    model = _model()
    hub = MessageHub.get_instance('test_task_gradient_hook')
    runner = SimpleNamespace(model=model, message_hub=hub, iter=1)
    hook = TaskGradientShareHook(interval=2)
    hook.after_train_iter(runner, 1, _batch())
    shares = {
        key.split('/')[-1]: hub.get_scalar(key).current()
        for key in hub.log_scalars if key.startswith('train/grad_share/')
    }
    assert set(shares) == {'cls', 'bbox', 'landmark', 'attr'}
    assert sum(shares.values()) == pytest.approx(1.0)
    # not on the other iterations
    runner.iter = 2
    hub2 = MessageHub.get_instance('test_task_gradient_hook_2')
    runner.message_hub = hub2
    hook.after_train_iter(runner, 2, _batch())
    assert not any(k.startswith('train/grad_share/') for k in hub2.log_scalars)


def test_hook_rejects_a_bad_interval():
    with pytest.raises(ValueError, match='interval'):
        TaskGradientShareHook(interval=0)
