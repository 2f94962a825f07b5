"""Wing loss, the head's pluggable regression losses, and learned task
weights (the recipe of issue 12)."""
import math

import pytest
import torch

from mcfa_mm.models.losses import (UncertaintyTaskWeighting, WingLoss,
                                   optimal_log_variance)
from mcfa_mm.testing import random_face_samples, tiny_mcfa_config
from mmdet.registry import MODELS


def test_wing_loss_matches_hand_computed_values():
    loss = WingLoss(omega=10.0, epsilon=2.0, reduction='none')
    pred = torch.tensor([0.0, 1.0, -4.0, 15.0])
    target = torch.zeros(4)
    constant = 10 - 10 * math.log(1 + 10 / 2)  # = -7.9176
    expected = torch.tensor([
        0.0,
        10 * math.log(1 + 1 / 2),  # 4.0547
        10 * math.log(1 + 4 / 2),  # 10.986
        15 - constant,  # 22.918
    ])
    assert torch.allclose(loss(pred, target), expected, atol=1e-4)
    # continuous where the pieces join
    left = WingLoss(reduction='none')(torch.tensor([10 - 1e-4]),
                                      torch.zeros(1))
    right = WingLoss(reduction='none')(torch.tensor([10 + 1e-4]),
                                       torch.zeros(1))
    assert abs(float(left - right)) < 1e-3


def test_wing_loss_reduction_and_avg_factor():
    loss = WingLoss(omega=0.1, epsilon=0.02, loss_weight=2.0)
    pred = torch.tensor([[0.05, -0.05], [0.2, 0.0]])
    target = torch.zeros(2, 2)
    small = 0.1 * math.log(1 + 0.05 / 0.02)
    large = 0.2 - (0.1 - 0.1 * math.log(1 + 0.1 / 0.02))
    total = 2 * small + large
    assert float(loss(pred, target, avg_factor=2)) == pytest.approx(
        2.0 * total / 2, rel=1e-5)
    assert float(loss(pred, target)) == pytest.approx(
        2.0 * total / 4, rel=1e-5)


def test_wing_gradient_hears_small_errors_more_than_l2():
    pred = torch.tensor([0.01], requires_grad=True)
    WingLoss(omega=0.1, epsilon=0.02)(pred, torch.zeros(1)).backward()
    wing_grad = float(pred.grad)
    assert wing_grad == pytest.approx(0.1 / (0.02 + 0.01), rel=1e-4)
    # the squared error's gradient at the same error is 2 * 0.01
    assert wing_grad > 100 * 2 * 0.01


def test_wing_loss_rejects_bad_parameters():
    with pytest.raises(ValueError, match='omega and epsilon'):
        WingLoss(omega=0.0)


@pytest.mark.parametrize('loss_cfg, expected', [
    (dict(type='MSELoss'), lambda d: d.pow(2).sum(1).mean()),
    (dict(type='L1Loss'), lambda d: d.abs().sum(1).mean()),
])
def test_head_regression_loss_is_summed_over_coordinates(loss_cfg, expected):
    """Eq. 3: the head's landmark loss is the per-sample sum, averaged over
    the samples with landmarks (non-faces and part faces excluded)."""
    cfg = tiny_mcfa_config(input_size=64, num_attributes=4)
    cfg['head'].update(loss_landmark=loss_cfg)
    model = MODELS.build(cfg)
    samples = random_face_samples(4, 64, 4, face_labels=[1, 0, 1, -1])
    inputs = torch.rand(4, 3, 64, 64)
    feats = model.extract_feat(inputs)
    losses = model.head.loss(feats, samples)
    outs = model.head(feats)[2]
    targets = torch.stack([
        samples[i].gt_instances.keypoints[0].flatten() / 64 for i in (0, 2)
    ])
    diff = outs['landmark'][[0, 2]] - targets
    assert torch.allclose(losses['l_loss_landmark'], expected(diff),
                          rtol=1e-5)


def test_uncertainty_weights_settle_where_kendall_says():
    """Kendall et al.: minimising ``c exp(-s) L + s / 2`` over s gives
    ``exp(s) = 2 c L``; the task with the larger loss gets the smaller
    multiplier."""
    names = ('l_loss_attr', 'l_loss_landmark')
    weighting = UncertaintyTaskWeighting(names)
    losses = {'l_loss_attr': torch.tensor(20.0),
              'l_loss_landmark': torch.tensor(0.05)}
    optimizer = torch.optim.SGD(weighting.parameters(), lr=0.05)
    for _ in range(3000):
        optimizer.zero_grad()
        out = weighting(losses)
        sum(v for k, v in out.items() if 'loss' in k).backward()
        optimizer.step()
    log_vars = weighting.log_variances.detach()
    assert float(log_vars[0]) == pytest.approx(
        optimal_log_variance(20.0, regression=False), abs=0.02)
    assert float(log_vars[1]) == pytest.approx(
        optimal_log_variance(0.05, regression=True), abs=0.02)
    weights = weighting.multipliers()
    # the loud attribute loss is turned down, the quiet landmarks up
    assert weights[0] < 0.05 < 1.0 < weights[1]
    # at the optimum both weighted losses contribute c L / (2 c L) = 1/2
    assert float(weights[0] * 20.0) == pytest.approx(0.5, abs=0.02)
    assert float(weights[1] * 0.05) == pytest.approx(0.5, abs=0.02)


def test_head_with_uncertainty_weighting_logs_weights_and_trains_them():
    cfg = tiny_mcfa_config(input_size=64, num_attributes=4)
    cfg['head'].update(task_weighting=dict(type='UncertaintyTaskWeighting'))
    model = MODELS.build(cfg)
    head = model.head
    assert head.task_weighting.loss_names == head.loss_names
    assert len(head.loss_names) == 12  # 3 stages x 4 tasks
    samples = random_face_samples(4, 64, 4, face_labels=[1, 0, 1, -1])
    losses = model.loss(torch.rand(4, 3, 64, 64), samples)
    assert 'loss_uncertainty' in losses
    assert float(losses['weight_l_landmark']) == pytest.approx(0.5)
    assert float(losses['weight_l_attr']) == pytest.approx(1.0)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    assert head.task_weighting.log_variances.grad.abs().sum() > 0
