import math

import pytest
import torch

from mcfa_mm.models.losses import DynamicWeightAttributeLoss


def _bce(logit, label):
    p = 1 / (1 + math.exp(-logit))
    return -math.log(p) if label == 1 else -math.log(1 - p)


def test_paper_mode_matches_hand_computation():
    logits = torch.tensor([[0.5, -1.0, 2.0]])
    labels = torch.tensor([[1, 1, 0]])
    alpha = torch.tensor([[0.0, 1.0, 2.0]])
    loss = DynamicWeightAttributeLoss(mode='paper')(logits, labels, alpha)
    z = math.exp(0) + math.exp(1) + math.exp(2)
    mu = [math.exp(0) / z, math.exp(1) / z, math.exp(2) / z]
    pairs = zip(mu, [0.5, -1.0, 2.0], [1, 1, 0])
    expected = sum(m * _bce(x, y) for m, x, y in pairs)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_unknown_labels_are_ignored_and_weights_renormalised():
    logits = torch.tensor([[0.5, -1.0, 2.0], [0.3, 0.3, 0.3]])
    labels = torch.tensor([[1, -1, 0], [-1, -1, -1]])
    alpha = torch.zeros(2, 3)
    fn = DynamicWeightAttributeLoss(mode='paper')
    loss = fn(logits, labels, alpha)
    # row 0: two known labels, weight 1/2 each; row 1 has none
    expected = 0.5 * (_bce(0.5, 1) + _bce(2.0, 0))
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert fn.last_weights.sum().item() == pytest.approx(1.0)
    assert fn.last_weights[1].item() == 0


@pytest.mark.parametrize('mode', ['paper', 'equal', 'adversarial',
                                  'loss_driven'])
def test_weights_sum_to_one(mode):
    torch.manual_seed(0)
    fn = DynamicWeightAttributeLoss(mode=mode)
    fn(torch.randn(4, 6), torch.randint(0, 2, (4, 6)), torch.randn(4, 6))
    assert fn.last_weights.shape == (6, )
    assert fn.last_weights.sum().item() == pytest.approx(1.0, abs=1e-6)
    assert (fn.last_weights >= 0).all()
    assert 0 < fn.last_entropy.item() <= math.log(6) + 1e-6


def test_equal_mode_is_mean_bce():
    logits = torch.tensor([[0.5, -1.0]])
    labels = torch.tensor([[1, 0]])
    loss = DynamicWeightAttributeLoss(mode='equal')(logits, labels)
    assert loss.item() == pytest.approx(0.5 * (_bce(0.5, 1) + _bce(-1, 0)))


def _weight_gradient(mode):
    """Gradient on alpha for a hard (attr 0) and an easy (attr 1) attribute."""
    logits = torch.tensor([[-3.0, 3.0]])  # attr 0 wrong, attr 1 right
    labels = torch.tensor([[1, 1]])
    alpha = torch.zeros(1, 2, requires_grad=True)
    DynamicWeightAttributeLoss(mode=mode)(logits, labels, alpha).backward()
    return alpha.grad[0]


def test_paper_mode_moves_weight_to_the_easy_attribute():
    grad = _weight_gradient('paper')
    # gradient descent lowers alpha of the hard attribute: the DESIGN trap
    assert grad[0] > 0 > grad[1]


def test_adversarial_mode_moves_weight_to_the_hard_attribute():
    grad = _weight_gradient('adversarial')
    assert grad[0] < 0 < grad[1]


def test_adversarial_logged_value_is_the_weighted_loss():
    logits, labels = torch.randn(3, 4), torch.randint(0, 2, (3, 4))
    alpha = torch.randn(3, 4)
    adv = DynamicWeightAttributeLoss(mode='adversarial')(logits, labels, alpha)
    paper = DynamicWeightAttributeLoss(mode='paper')(logits, labels, alpha)
    assert adv.item() == pytest.approx(paper.item(), rel=1e-6)


def test_loss_driven_upweights_hard_attribute():
    fn = DynamicWeightAttributeLoss(mode='loss_driven', temperature=0.5)
    fn(torch.tensor([[-3.0, 3.0]]), torch.tensor([[1, 1]]))
    assert fn.last_weights[0] > fn.last_weights[1]


def test_bad_mode():
    with pytest.raises(ValueError, match='Unknown dynamic weighting mode'):
        DynamicWeightAttributeLoss(mode='magic')


def test_missing_weight_logits():
    with pytest.raises(ValueError, match='needs weight_logits'):
        DynamicWeightAttributeLoss(mode='paper')(torch.zeros(1, 2),
                                                 torch.ones(1, 2))


def test_adversarial_weights_converge_to_softmax_of_losses():
    """Trained alone, the weight layer settles at softmax(l / lambda)."""
    target = torch.tensor([[0.0, 0.0, 0.0]])
    logits = torch.tensor([[1.0, 0.0, -1.5]])  # BCE losses differ
    alpha = torch.zeros(1, 3, requires_grad=True)
    fn = DynamicWeightAttributeLoss(mode='adversarial', entropy_weight=0.5)
    optim = torch.optim.SGD([alpha], lr=0.5)
    for _ in range(300):
        optim.zero_grad()
        fn(logits, target.long(), alpha).backward()
        optim.step()
    per_attr = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, target, reduction='none')
    expected = torch.softmax(per_attr / 0.5, dim=1)[0]
    assert torch.allclose(fn.last_weights, expected, atol=1e-3)
    assert fn.last_weights.argmax() == 0  # the hardest attribute leads


def test_paper_weights_collapse_on_the_easiest_attribute():
    target = torch.tensor([[0, 0, 0]])
    logits = torch.tensor([[1.0, 0.0, -1.5]])
    alpha = torch.zeros(1, 3, requires_grad=True)
    fn = DynamicWeightAttributeLoss(mode='paper')
    optim = torch.optim.SGD([alpha], lr=0.5)
    for _ in range(300):
        optim.zero_grad()
        fn(logits, target, alpha).backward()
        optim.step()
    assert fn.last_weights.argmax() == 2 and fn.last_weights[2] > 0.9
