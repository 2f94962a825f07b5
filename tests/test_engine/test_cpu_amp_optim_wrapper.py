"""CPUAmpOptimWrapper: bfloat16 autocast on the CPU with fp32 weights."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapper, build_optim_wrapper

from mcfa_mm.engine import CPUAmpOptimWrapper
from mcfa_mm.testing import random_face_samples, tiny_mcfa_config
from mmdet.registry import MODELS

BATCH = 8
SIZE = 64
NUM_ATTRIBUTES = 8


def _model(channels_last: bool = False):
    torch.manual_seed(0)
    config = tiny_mcfa_config(input_size=SIZE, num_attributes=NUM_ATTRIBUTES)
    config['channels_last'] = channels_last
    return MODELS.build(config).train()


def _batch(seed: int = 0) -> dict:
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (BATCH, 3, SIZE, SIZE),
                           generator=generator, dtype=torch.uint8)
    labels = [(1, 1, 0, -1)[i % 4] for i in range(BATCH)]
    samples = random_face_samples(BATCH, SIZE, NUM_ATTRIBUTES, labels, seed)
    return dict(inputs=list(images), data_samples=samples)


def _wrapper(model, wrapper_type: str, **kwargs):
    return build_optim_wrapper(
        model,
        dict(type=wrapper_type, optimizer=dict(type='SGD', lr=0.1),
             **kwargs))


def _flat_params(model) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_a_step_is_an_autocast_step_with_fp32_master_weights():
    """The wrapper's step is exactly a step whose forward runs under
    ``torch.autocast('cpu', torch.bfloat16)``, applied to fp32 weights."""
    wrapped, manual = _model(), _model()
    wrapped.train_step(_batch(), _wrapper(wrapped, 'CPUAmpOptimWrapper'))
    optimizer = torch.optim.SGD(manual.parameters(), lr=0.1)
    with torch.autocast(device_type='cpu', dtype=torch.bfloat16):
        losses = manual.loss(*_preprocessed(manual))
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    optimizer.step()
    torch.testing.assert_close(_flat_params(wrapped), _flat_params(manual))
    assert all(p.dtype == torch.float32 for p in wrapped.parameters())
    assert all(p.grad is None or p.grad.dtype == torch.float32
               for p in wrapped.parameters())


def test_a_bf16_step_moves_the_weights_like_an_fp32_step():
    """Within bf16 rounding: the loss to 2 %, the step's direction and
    length. bf16 keeps 8 mantissa bits, so on this tiny random network the
    early convs' gradients agree only to a cosine of ~0.8 (and the conv
    biases before BatchNorm, whose true gradient is 0, are pure rounding
    noise in both): the bound is on the whole step, those biases left
    out."""
    fp32, bf16 = _model(), _model()
    before = dict((n, p.detach().clone()) for n, p in fp32.named_parameters())
    fp32_losses = fp32.train_step(_batch(), _wrapper(fp32, 'OptimWrapper'))
    bf16_losses = bf16.train_step(_batch(),
                                  _wrapper(bf16, 'CPUAmpOptimWrapper'))
    assert bf16_losses['loss'].dtype == torch.float32
    assert bf16_losses['loss'].item() == pytest.approx(
        fp32_losses['loss'].item(), rel=0.02)
    bf16_params = dict(bf16.named_parameters())
    steps_fp32, steps_bf16 = [], []
    for name, param in fp32.named_parameters():
        step = (param.detach() - before[name]).flatten()
        if step.norm() > 1e-6:  # not a bias that BatchNorm cancels
            steps_fp32.append(step)
            steps_bf16.append(
                (bf16_params[name].detach() - before[name]).flatten())
    step_fp32, step_bf16 = torch.cat(steps_fp32), torch.cat(steps_bf16)
    cosine = torch.nn.functional.cosine_similarity(step_fp32, step_bf16, 0)
    assert cosine > 0.85
    assert step_bf16.norm() == pytest.approx(step_fp32.norm().item(),
                                             rel=0.1)


def test_the_autocast_really_runs_convs_in_bf16():
    model = _model()
    wrapper = _wrapper(model, 'CPUAmpOptimWrapper')
    seen = []
    conv = next(m for m in model.modules()
                if isinstance(m, torch.nn.Conv2d))
    conv.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    with wrapper.optim_context(model):
        model.loss(*_preprocessed(model))
    assert seen == [torch.bfloat16]
    seen.clear()
    with _wrapper(model, 'OptimWrapper').optim_context(model):
        model.loss(*_preprocessed(model))
    assert seen == [torch.float32]


def _preprocessed(model):
    data = model.data_preprocessor(_batch(), True)
    return data['inputs'], data['data_samples']


def test_losses_are_fp32_under_autocast():
    model = _model()
    with _wrapper(model, 'CPUAmpOptimWrapper').optim_context(model):
        losses = model.loss(*_preprocessed(model))
    assert {value.dtype for value in losses.values()} == {torch.float32}


def test_resume_continues_the_same_trajectory():
    """The wrapper's state is the optimizer's (no loss scaler): a model and
    wrapper restored from their state dicts take the same next step."""
    model = _model(channels_last=True)
    wrapper = _wrapper(model, 'CPUAmpOptimWrapper')
    wrapper.optimizer = torch.optim.SGD(
        model.parameters(), lr=0.1, momentum=0.9)
    model.train_step(_batch(0), wrapper)
    saved_model = copy.deepcopy(model.state_dict())
    saved_wrapper = copy.deepcopy(wrapper.state_dict())
    assert set(saved_wrapper) == {'state', 'param_groups'}

    restored = _model(channels_last=True)
    restored.load_state_dict(saved_model)
    restored_wrapper = _wrapper(restored, 'CPUAmpOptimWrapper')
    restored_wrapper.optimizer = torch.optim.SGD(
        restored.parameters(), lr=0.1, momentum=0.9)
    restored_wrapper.load_state_dict(saved_wrapper)

    model.train_step(_batch(1), wrapper)
    restored.train_step(_batch(1), restored_wrapper)
    torch.testing.assert_close(_flat_params(restored), _flat_params(model))


def test_checkpoints_of_bf16_training_are_plain_fp32():
    model = _model(channels_last=True)
    model.train_step(_batch(), _wrapper(model, 'CPUAmpOptimWrapper'))
    state = model.state_dict()
    floats = [v for v in state.values() if v.is_floating_point()]
    assert floats and all(v.dtype == torch.float32 for v in floats)
    # an NCHW fp32 model loads it and predicts the same
    plain = _model()
    plain.load_state_dict(state)
    model.eval()
    plain.eval()
    inputs, samples = _preprocessed(plain)
    torch.testing.assert_close(
        plain._forward(inputs)[-1]['attribute'],
        model._forward(inputs)[-1]['attribute'], rtol=1e-4, atol=1e-5)


def test_dtype_is_checked():
    model = _model()
    assert _wrapper(model, 'CPUAmpOptimWrapper',
                    dtype='float16').cast_dtype == torch.float16
    with pytest.raises(ValueError, match='dtype'):
        _wrapper(model, 'CPUAmpOptimWrapper', dtype='int8')
    assert not isinstance(_wrapper(model, 'OptimWrapper'),
                          CPUAmpOptimWrapper)
    assert issubclass(CPUAmpOptimWrapper, OptimWrapper)
