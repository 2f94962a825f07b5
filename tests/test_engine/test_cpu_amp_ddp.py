"""CPUAmpOptimWrapper under data-parallel training: 2 gloo ranks.

Each rank wraps the same tiny MCFA in ``MMDistributedDataParallel`` (CPU:
no device ids, the Runner's ``broadcast_buffers=False``) and takes two
``train_step`` s with the bf16 wrapper on its own half of each batch. DDP
must average the fp32 gradients of the two autocast backward passes, so the
ranks end equal, and equal to one process that computes each half's
gradient under the same autocast, averages them and steps once.

In train mode BatchNorm normalises with the statistics of the batch it
sees, so rank r's forward is exactly a lone model's forward on half r, and
its running statistics (not synchronised with ``broadcast_buffers=False``)
are those of half r: the reference keeps one replica per half, gives both
the averaged gradient and checks the buffers too.
"""
import multiprocessing
from contextlib import contextmanager

import pytest
import torch
from mmengine.optim import build_optim_wrapper

from mcfa_mm.testing import random_face_samples, tiny_mcfa_config
from mmdet.registry import MODELS

WORLD_SIZE = 2
PER_RANK = 4
SIZE = 32
NUM_ATTRIBUTES = 8
STEPS = 2
TIMEOUT_S = 120  # a hung rendezvous must fail the test, not stall CI
OPTIMIZERS = dict(
    SGD=dict(type='SGD', lr=0.1, momentum=0.9),
    AdamW=dict(type='AdamW', lr=1e-3, weight_decay=0.01))


def _model():
    torch.manual_seed(0)
    config = tiny_mcfa_config(input_size=SIZE, num_attributes=NUM_ATTRIBUTES)
    return MODELS.build(config).train()


def _wrapper(model, optimizer: str, wrapper_type='CPUAmpOptimWrapper'):
    extra = dict(dtype='bfloat16') if wrapper_type == 'CPUAmpOptimWrapper' \
        else {}
    return build_optim_wrapper(
        model,
        dict(type=wrapper_type, optimizer=dict(OPTIMIZERS[optimizer]),
             **extra))


def _half(step: int, rank: int) -> dict:
    """Rank ``rank``'s half of step ``step``'s batch; each half holds a
    face, a non-face and a part, so every branch gets a gradient."""
    batch = WORLD_SIZE * PER_RANK
    generator = torch.Generator().manual_seed(step)
    images = torch.randint(0, 256, (batch, 3, SIZE, SIZE),
                           generator=generator, dtype=torch.uint8)
    labels = [(1, 1, 0, -1)[i % 4] for i in range(batch)]
    samples = random_face_samples(batch, SIZE, NUM_ATTRIBUTES, labels, step)
    half = slice(rank * PER_RANK, (rank + 1) * PER_RANK)
    return dict(inputs=list(images[half]), data_samples=samples[half])


@contextmanager
def _one_thread():
    """One intra-op thread, as in each rank: same kernels, same sums."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _rank_worker(rank, world_size, init_file, out_dir):
    """One rank: for each optimizer, a fresh DDP model and two bf16 steps
    on its halves; saves the initial and final state and the losses."""
    import torch.distributed as dist
    from mmengine.model import MMDistributedDataParallel

    from mmdet.utils import register_all_modules

    # a spawned process runs no conftest: the mmdet scope, as its fixture
    register_all_modules(init_default_scope=True)
    torch.set_num_threads(1)
    dist.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank,
        world_size=world_size)
    for optimizer in OPTIMIZERS:
        model = _model()
        initial = {k: v.clone() for k, v in model.state_dict().items()}
        ddp_model = MMDistributedDataParallel(
            module=model, broadcast_buffers=False,
            find_unused_parameters=False)
        optim_wrapper = _wrapper(ddp_model, optimizer)
        losses = [
            ddp_model.train_step(_half(step, rank), optim_wrapper)['loss']
            for step in range(STEPS)
        ]
        torch.save(
            dict(initial=initial, final=model.state_dict(), losses=losses,
                 wrapper=type(optim_wrapper).__name__),
            f'{out_dir}/{optimizer}_rank{rank}.pth')
    dist.destroy_process_group()


@pytest.fixture(scope='module')
def ranks(tmp_path_factory):
    """``{optimizer: [rank 0's result, rank 1's result]}``."""
    tmp_path = tmp_path_factory.mktemp('cpu_amp_ddp')
    context = multiprocessing.get_context('spawn')
    procs = [
        context.Process(
            target=_rank_worker,
            args=(rank, WORLD_SIZE, str(tmp_path / 'rendezvous'),
                  str(tmp_path))) for rank in range(WORLD_SIZE)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=TIMEOUT_S)
        if proc.is_alive():
            proc.kill()
            proc.join()
    assert [proc.exitcode for proc in procs] == [0] * WORLD_SIZE
    return {
        optimizer: [
            torch.load(str(tmp_path / f'{optimizer}_rank{rank}.pth'))
            for rank in range(WORLD_SIZE)
        ]
        for optimizer in OPTIMIZERS
    }


def _replicas(optimizer: str, wrapper_type: str = 'CPUAmpOptimWrapper'):
    """One process, one replica per half: each half's gradient computed in
    the wrapper's context, the two averaged, the same step on both.

    Returns:
        tuple: The replicas' state dicts and losses, per half.
    """
    models = [_model() for _ in range(WORLD_SIZE)]
    wrappers = [_wrapper(model, optimizer, wrapper_type) for model in models]
    losses = [[] for _ in models]
    with _one_thread():
        for step in range(STEPS):
            for rank, (model, wrapper) in enumerate(zip(models, wrappers)):
                wrapper.zero_grad()
                with wrapper.optim_context(model):
                    data = model.data_preprocessor(_half(step, rank), True)
                    loss, _ = model.parse_losses(model(**data, mode='loss'))
                loss.backward()
                losses[rank].append(loss.detach())
            params = [list(model.parameters()) for model in models]
            for group in zip(*params):
                grads = [p.grad for p in group]
                if any(g is None for g in grads):
                    # DDP would have failed: a parameter without a gradient
                    raise AssertionError('a parameter got no gradient')
                mean = torch.stack(grads).mean(0)
                for p in group:
                    p.grad = mean.clone()
            for wrapper in wrappers:
                wrapper.step()
    return [model.state_dict() for model in models], losses


@pytest.fixture(scope='module')
def references():
    """``{optimizer: (bf16 autocast replicas, plain fp32 replicas)}``."""
    return {
        optimizer: (_replicas(optimizer), _replicas(optimizer, 'OptimWrapper'))
        for optimizer in OPTIMIZERS
    }


def _parameter_names():
    return [name for name, _ in _model().named_parameters()]


def _flat(state, names):
    return torch.cat([state[name].flatten() for name in names])


@pytest.mark.parametrize('optimizer', list(OPTIMIZERS))
def test_the_ranks_end_with_the_same_fp32_weights(ranks, optimizer):
    first, second = ranks[optimizer]
    assert first['wrapper'] == second['wrapper'] == 'CPUAmpOptimWrapper'
    names = _parameter_names()
    for name in names:
        # bitwise: the same averaged gradient, the same optimizer
        assert torch.equal(first['final'][name], second['final'][name]), name
    floats = [v for v in first['final'].values() if v.is_floating_point()]
    assert floats and all(v.dtype == torch.float32 for v in floats)
    # every stage learned, not only a stray layer
    moved = [
        name for name in names
        if not torch.equal(first['final'][name], first['initial'][name])
    ]
    assert len(moved) > len(names) // 2, moved


@pytest.mark.parametrize('optimizer', list(OPTIMIZERS))
def test_ddp_averages_the_autocast_gradients_of_the_halves(
        ranks, references, optimizer):
    """The ranks' weights are those of one process that averages the two
    halves' bf16-autocast gradients (bitwise on one thread; the tolerance
    leaves room for a different summation order in the all-reduce), and far
    from steps that skipped autocast, used one half's gradient alone or the
    sum of the two."""
    names = _parameter_names()
    (states, _), (fp32_states, _) = references[optimizer]
    initial = _flat(ranks[optimizer][0]['initial'], names)
    final = _flat(ranks[optimizer][0]['final'], names)
    expected_step = _flat(states[0], names) - initial
    error = (final - initial - expected_step).norm() / expected_step.norm()
    assert error < 1e-3
    torch.testing.assert_close(
        final, _flat(states[0], names), rtol=1e-5, atol=1e-6)
    # the tolerance separates bf16 autocast from fp32 training (~40 %)
    fp32_step = _flat(fp32_states[0], names) - initial
    assert (fp32_step - expected_step).norm() / expected_step.norm() > 1e-2


def test_each_rank_ran_its_own_half_in_bf16(ranks, references):
    """Losses and BatchNorm running statistics are per rank: those of a
    lone autocast replica on that rank's half, not of an fp32 one."""
    (states, losses), (_, fp32_losses) = references['SGD']
    for rank, saved in enumerate(ranks['SGD']):
        saved_losses = torch.stack(saved['losses'])
        assert saved_losses.dtype == torch.float32
        torch.testing.assert_close(
            saved_losses, torch.stack(losses[rank]), rtol=1e-5, atol=1e-6)
        # the first step's forward (same weights) in fp32 gives another loss
        assert not torch.isclose(saved_losses[0], fp32_losses[rank][0],
                                 rtol=1e-4, atol=0)
        for name, value in saved['final'].items():
            if 'running_' in name:
                torch.testing.assert_close(
                    value, states[rank][name], rtol=1e-5, atol=1e-6,
                    msg=f'{name} of rank {rank}')
    # different halves, hence different statistics: none were averaged
    first, second = ranks['SGD']
    assert any(not torch.allclose(first['final'][name],
                                  second['final'][name])
               for name in first['final'] if 'running_mean' in name)
