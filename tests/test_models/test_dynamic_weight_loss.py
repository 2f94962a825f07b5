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


@pytest.mark.parametrize('mode', ['paper', 'adversarial'])
def test_diverged_weight_layer_is_an_error_naming_the_stage(mode):
    """NaN / inf weight logits must not become a silent zero loss."""
    fn = DynamicWeightAttributeLoss(mode=mode)
    fn.stage = 'm'
    alpha = torch.zeros(2, 3)
    alpha[0, 1] = float('nan')
    with pytest.raises(FloatingPointError, match="stage 'm'.*weight layer"):
        fn(torch.zeros(2, 3), torch.ones(2, 3, dtype=torch.long), alpha)
    alpha = torch.zeros(2, 3)
    alpha[1, 0] = float('inf')
    with pytest.raises(FloatingPointError, match="stage 'm'"):
        fn(torch.zeros(2, 3), torch.ones(2, 3, dtype=torch.long), alpha)


def test_nan_losses_in_loss_driven_mode_are_an_error():
    fn = DynamicWeightAttributeLoss(mode='loss_driven')
    logits = torch.tensor([[float('nan'), 0.0]])
    with pytest.raises(FloatingPointError, match='running attribute losses'):
        fn(logits, torch.ones(1, 2, dtype=torch.long))


def test_the_head_names_each_stage_loss():
    from mcfa_mm.testing import tiny_mcfa_config
    from mmdet.registry import MODELS
    head = MODELS.build(tiny_mcfa_config()).head
    assert [loss.stage for loss in head.attr_losses] == ['s', 'm', 'l']


def test_rows_without_labels_get_zero_weight_and_zero_gradient():
    alpha = torch.randn(2, 3, requires_grad=True)
    fn = DynamicWeightAttributeLoss(mode='paper')
    labels = torch.tensor([[1, 0, -1], [-1, -1, -1]])
    fn(torch.randn(2, 3), labels, alpha).backward()
    weights = fn._weights(torch.ones(2, 3), labels >= 0, alpha.detach())
    assert weights[1].eq(0).all() and weights[0].sum() == pytest.approx(1)
    assert torch.isfinite(alpha.grad).all()
    assert alpha.grad[1].eq(0).all() and alpha.grad[0, 2] == 0


def _loss_driven_batches(steps=4, batch=3, num_attributes=5):
    """Batches with some unknown labels, the same for every call."""
    gen = torch.Generator().manual_seed(0)
    batches = []
    for _ in range(steps):
        logits = torch.randn(batch, num_attributes, generator=gen) * 2
        labels = torch.randint(-1, 2, (batch, num_attributes), generator=gen)
        batches.append((logits, labels))
    return batches


def test_loss_driven_average_is_checkpointed():
    """A resumed loss weights exactly as the uninterrupted one."""
    batches = _loss_driven_batches()
    uninterrupted = DynamicWeightAttributeLoss(mode='loss_driven').train()
    first = DynamicWeightAttributeLoss(mode='loss_driven').train()
    for logits, labels in batches[:2]:
        uninterrupted(logits, labels)
        first(logits, labels)
    state = torch.nn.ModuleDict(dict(loss=first)).state_dict()
    assert state['loss.loss_ema'].shape == (5, )
    # a fresh model (empty buffer) loads it strictly
    resumed_holder = torch.nn.ModuleDict(
        dict(loss=DynamicWeightAttributeLoss(mode='loss_driven')))
    resumed_holder.load_state_dict(state)
    resumed = resumed_holder['loss'].train()
    for logits, labels in batches[2:]:
        expected = uninterrupted(logits, labels)
        assert resumed(logits, labels).item() == pytest.approx(
            expected.item(), rel=1e-6)
        assert torch.equal(resumed.loss_ema, uninterrupted.loss_ema)
        assert torch.allclose(resumed.last_weights,
                              uninterrupted.last_weights)


def test_other_modes_save_no_running_average():
    assert 'loss_ema' not in DynamicWeightAttributeLoss(
        mode='adversarial').state_dict()


def test_loss_driven_evaluation_before_training_changes_nothing():
    fn = DynamicWeightAttributeLoss(mode='loss_driven').eval()
    logits, labels = _loss_driven_batches(steps=1)[0]
    fn(logits, labels)
    assert fn.loss_ema.numel() == 0


def _rank_worker(rank, world_size, init_file, out_dir):
    """One rank: two loss-driven steps on its half of each batch."""
    import torch.distributed as dist
    dist.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank,
        world_size=world_size)
    fn = DynamicWeightAttributeLoss(mode='loss_driven').train()
    for logits, labels in _loss_driven_batches(batch=4):
        half = slice(2 * rank, 2 * rank + 2)
        fn(logits[half], labels[half])
    torch.save(fn.state_dict(), f'{out_dir}/rank{rank}.pth')
    dist.destroy_process_group()


def test_loss_driven_average_is_synchronised_across_ranks(tmp_path):
    """Two gloo ranks on different halves of the batches hold the same
    running losses, those of one process that sees the whole batches."""
    import multiprocessing
    context = multiprocessing.get_context('spawn')
    procs = [
        context.Process(
            target=_rank_worker,
            args=(rank, 2, str(tmp_path / 'rendezvous'), str(tmp_path)))
        for rank in range(2)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
        if proc.is_alive():
            proc.kill()
    assert [proc.exitcode for proc in procs] == [0, 0]
    whole = DynamicWeightAttributeLoss(mode='loss_driven').train()
    for logits, labels in _loss_driven_batches(batch=4):
        whole(logits, labels)
    for rank in range(2):
        saved = torch.load(str(tmp_path / f'rank{rank}.pth'))['loss_ema']
        torch.testing.assert_close(saved, whole.loss_ema)
