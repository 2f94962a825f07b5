"""Size and speed of MCFA, through MMDetection vs the same modules raw (JSON).

Per model (``full``: the paper's size, ``cpu``: the 1/4-width 128 px model,
or a config): parameters and MACs per face (mmengine's ``FlopAnalyzer``) of
the forward, its convs and linears, the prediction, and the backbone and
neck up to S, M and L_Net. Then per mode and batch size, times side by side
(interleaved, medians over ``--repeats``) a large fp32 matmul, the
detector's ``train_step`` or crop-mode ``test_step``, and ``plain``: the
same modules on tensors preprocessed once (``loss`` summed, ``backward``,
the optimizer's ``step``; or ``_forward`` under ``torch.inference_mode``).
Per arm: samples/s, ``framework_overhead_ratio`` (detector / plain),
GFLOP/s (2 per MAC, times 3 for a training step) and ``gflops_ratio``
(over the matmul's). ``--channels-last`` adds NHWC prediction arms,
``--profile`` the phases and top aten ops of one ``test_step`` of the first
model; ``--modes`` without a mode measures the size only. Commands and
results: docs/study_log.md.
"""
import argparse
import copy
import time
from typing import Callable, Dict, List, Optional, Sequence

import torch
from mmengine.optim import build_optim_wrapper

import mcfa_mm  # noqa: F401  (registers the components)
from mcfa_mm.testing import random_face_samples
from mcfa_mm.utils.benchmarking import (add_common_args, against_matmul,
                                        load_config, machine_info, median,
                                        rates, start_benchmark,
                                        timed_methods, write_report)
from mcfa_mm.utils.complexity import count_macs
from mmdet.registry import MODELS

MODEL_CONFIGS: Dict[str, str] = {
    'full': 'configs/mcfa/mcfa_vgg16_8xb32-30e_celeba-multisource.py',
    'cpu': 'configs/mcfa/mcfa_vgg16-w025-128px_1xb32-8e_celeba-multisource.py',
}


def random_batch(detector, batch: int, seed: int = 0) -> tuple:
    """A batch as the data loader gives it (``data``: uint8 BGR images,
    training samples with some non- and part faces) and its preprocessed
    ``inputs`` tensor."""
    size = detector.input_size
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (batch, 3, size, size),
                           generator=generator, dtype=torch.uint8)
    labels = [(1, 1, 0, -1)[i % 4] for i in range(batch)]
    samples = random_face_samples(batch, size, detector.head.num_attributes,
                                  labels, seed)
    data = dict(inputs=list(images), data_samples=samples)
    inputs = detector.data_preprocessor(copy.copy(data), True)['inputs']
    return data, inputs


def train_arms(detector, cfg, batch: int,
               last_losses: Dict[str, float]) -> dict:
    """One training step per call: ``train_step`` and the raw step; each
    stores its loss in ``last_losses`` (to check it stays finite)."""
    data, inputs = random_batch(detector, batch)
    samples = data['data_samples']
    detector.train()
    wrapper = build_optim_wrapper(detector, copy.deepcopy(cfg.optim_wrapper))
    clip = cfg.optim_wrapper.get('clip_grad')

    def framework() -> None:
        loss = detector.train_step(data, wrapper)['loss']
        last_losses['detector'] = float(loss)

    def raw() -> None:
        loss = sum(value.sum()
                   for key, value in detector.loss(inputs, samples).items()
                   if 'loss' in key)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(detector.parameters(), **clip)
        wrapper.optimizer.step()
        wrapper.optimizer.zero_grad()
        # the detector's train_step syncs for its log too (.item())
        last_losses['plain'] = float(loss)

    return dict(detector=framework, plain=raw)


def predict_arms(detector, batch: int, channels_last: bool) -> tuple:
    """One crop-mode prediction per call: ``test_step`` and ``_forward``;
    with ``channels_last``, also a detector with ``test_cfg.channels_last``
    (its own option) and the raw forward with NHWC weights and inputs.
    Returns the arms and, if channels_last, the largest difference of the
    NHWC detector's predictions from the NCHW one's."""
    data, inputs = random_batch(detector, batch)
    detector.eval()

    def raw(model, tensor) -> Callable[[], object]:
        forward = torch.inference_mode()(model._forward)
        return lambda: forward(tensor)

    # test_step as MMEngine's loops and inference_faces call it
    arms = dict(detector=lambda: detector.test_step(data),
                plain=raw(detector, inputs))
    if not channels_last:
        return arms, None
    det_nhwc = copy.deepcopy(detector)
    det_nhwc.test_cfg['channels_last'] = True
    raw_nhwc = copy.deepcopy(detector).to(memory_format=torch.channels_last)
    arms['detector_channels_last'] = lambda: det_nhwc.test_step(data)
    arms['plain_channels_last'] = raw(
        raw_nhwc, inputs.contiguous(memory_format=torch.channels_last))
    diff = max(
        float((a.pred_instances[k] - b.pred_instances[k]).abs().max())
        for a, b in zip(detector.test_step(data), det_nhwc.test_step(data))
        for k in ('bboxes', 'scores', 'keypoints', 'attribute_scores'))
    return arms, diff


def summarise(times: Dict[str, List[float]], batch: int, macs: float,
              matmul_gflops: float) -> dict:
    """Throughput, GFLOP/s and ratios of each arm from its timings."""
    report = {
        name: dict(samples_per_s=round(batch / median(seconds), 3),
                   seconds_per_batch=[round(s, 5) for s in seconds],
                   **rates(macs * batch, median(seconds), matmul_gflops))
        for name, seconds in times.items() if name != 'matmul'
    }
    for name in list(report):
        if name.startswith('detector'):
            plain = name.replace('detector', 'plain')
            report[name]['framework_overhead_ratio'] = round(
                report[name]['samples_per_s'] /
                report[plain]['samples_per_s'], 4)
    return report


def bench_model(name: str, args) -> dict:
    """All measurements of one model (see the module docstring)."""
    torch.manual_seed(0)  # weights: PyTorch's default init
    cfg = load_config(MODEL_CONFIGS.get(name, name))
    detector = MODELS.build(cfg.model).eval()
    size = detector.input_size
    face = torch.zeros(1, 3, size, size)
    metas = [dict(img_shape=(size, size))]
    forward = count_macs(detector, detector._forward, face)
    predict_macs = count_macs(
        detector, lambda x: detector.head.predict_batch(
            detector.extract_feat(x), metas), face)['macs']
    report = dict(
        config=MODEL_CONFIGS.get(name, name),
        input_size=size,
        params=sum(p.numel() for p in detector.parameters()),
        gmacs_per_face_predict=round(predict_macs / 1e9, 4),
        gmacs_per_sample_train_forward=round(forward['macs'] / 1e9, 4),
        conv_gmacs=round(forward['conv_macs'] / 1e9, 4),
        linear_gmacs=round(forward['linear_macs'] / 1e9, 4))
    for stages, label in ((1, 'S'), (2, 'S+M'), (3, 'S+M+L')):
        macs = count_macs(detector,
                          lambda x, n=stages: detector.extract_feat(x, n),
                          face)['macs']
        report[f'{label}_backbone_neck_gmacs'] = round(macs / 1e9, 4)
    report.update(train={}, predict={})
    for batch in args.batch_sizes:
        for mode in args.modes:
            last_losses: Dict[str, float] = {}
            nhwc_diff = None
            if mode == 'train':
                arms = train_arms(detector, cfg, batch, last_losses)
                macs = 3 * forward['macs']  # backward: twice the forward
            else:
                arms, nhwc_diff = predict_arms(detector, batch,
                                               args.channels_last)
                macs = predict_macs
            times, matmul_gflops = against_matmul(arms, args.iters, args)
            entry = summarise(times, batch, macs, matmul_gflops)
            entry['matmul_gflops'] = round(matmul_gflops, 2)
            if mode == 'train':
                entry['last_losses'] = {
                    k: round(v, 4) for k, v in last_losses.items()}
            if nhwc_diff is not None:
                entry['channels_last_max_abs_diff'] = nhwc_diff
            report[mode][f'batch_{batch}'] = entry
            del arms
    if args.profile and name == args.models[0]:
        report['profile'] = profile_predict(detector,
                                            args.profile_batch_size)
        if args.channels_last:
            nhwc = copy.deepcopy(detector)
            nhwc.test_cfg['channels_last'] = True
            report['profile_channels_last'] = profile_predict(
                nhwc, args.profile_batch_size)
    return report


def profile_predict(detector, batch: int, top: int = 12) -> dict:
    """Where one ``test_step`` batch spends its time: a timed pass with
    the phases wrapped (``rescale_and_rest``: the rest, e.g. mapping to the
    original image), then one under ``torch.profiler`` for the top aten ops
    (apart: the profiler's start-up would swamp the phase timings)."""
    data, _ = random_batch(detector, batch)
    detector.eval()
    detector.test_step(data)  # warm up
    with timed_methods([
            ('preprocess', detector.data_preprocessor, 'forward'),
            ('extract_feat', detector, 'extract_feat'),
            ('head_outputs', detector.head, 'last_stage_outputs'),
            ('decode_batch', detector.head, 'decode_batch'),
            ('add_pred_to_datasample', detector, 'add_pred_to_datasample')
    ]) as phases:
        start = time.perf_counter()
        preds = detector.test_step(data)
        total = time.perf_counter() - start
    top_level = ('preprocess', 'extract_feat', 'head_outputs',
                 'decode_batch', 'add_pred_to_datasample')
    phases_ms = {k: round(v * 1e3, 3) for k, v in phases.items()}
    phases_ms['rescale_and_rest'] = round(
        (total - sum(phases.get(k, 0.0) for k in top_level)) * 1e3, 3)
    with torch.profiler.profile(
            activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        detector.test_step(data)
    ops = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total,
                 reverse=True)
    self_total = sum(e.self_cpu_time_total for e in ops) or 1.0
    conv_like = sum(e.self_cpu_time_total for e in ops
                    if any(k in e.key for k in ('conv', 'addmm', 'mm',
                                                'linear')))
    return dict(
        batch_size=batch,
        test_step_ms=round(total * 1e3, 3),
        phases_ms=phases_ms,
        # an autograd graph recorded during inference costs time: e.g.
        # max pooling then also computes the indices for its backward
        outputs_require_grad=preds[0].pred_instances.scores.requires_grad,
        conv_and_matmul_share_of_op_time=round(conv_like / self_total, 4),
        top_ops=[
            dict(name=e.key, calls=e.count,
                 self_cpu_ms=round(e.self_cpu_time_total / 1e3, 3),
                 share=round(e.self_cpu_time_total / self_total, 4))
            for e in ops[:top]
        ])


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--models', nargs='+', default=['full', 'cpu'],
                        help="'full', 'cpu' or config paths")
    parser.add_argument('--batch-sizes', type=int, nargs='+',
                        default=[1, 8, 32])
    parser.add_argument('--modes', nargs='*', default=['train', 'predict'],
                        choices=['train', 'predict'],
                        help='none: only the parameters and MACs')
    parser.add_argument('--iters', type=int, default=3,
                        help='calls per timed block')
    parser.add_argument('--channels-last', action='store_true',
                        help='also time crop-mode prediction with NHWC '
                        "weights (the detector's test_cfg.channels_last)")
    parser.add_argument('--profile', action='store_true',
                        help='profile a predict batch of the first model')
    parser.add_argument('--profile-batch-size', type=int, default=8)
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    start_benchmark(args)
    report = dict(machine=machine_info(), args=vars(args), models={})
    for name in args.models:
        report['models'][name] = bench_model(name, args)
    return write_report(report, args.out)


if __name__ == '__main__':
    main()
