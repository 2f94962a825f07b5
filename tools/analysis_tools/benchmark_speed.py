"""Size and speed of MCFA: fp32 NCHW against the bf16 / channels-last
defaults, and the whole-photo cascade stage by stage (JSON).

Per model (``full``: the paper's size, ``cpu``: the 1/4-width 128 px model,
or a config; random weights unless ``--checkpoint``; ``--cfg-options`` on
top): parameters and MACs per face (mmengine's ``FlopAnalyzer``) of the
forward, its convs and linears, the prediction, and the backbone and neck
up to S, M and L_Net. Then per mode and batch size, times side by side
(interleaved, medians over ``--repeats``) a large fp32 matmul and the
detector's ``train_step`` or crop-mode ``test_step`` in fp32 NCHW:
samples/s, GFLOP/s (2 per MAC, times 3 for a training step) and
``gflops_ratio`` (over the matmul's). ``--modes`` without a mode measures
the size only.

``--precision`` adds, with their ``speedup`` over the detector: the
``train_step`` in bf16 autocast NHWC (``bf16_nhwc``,
``CPUAmpOptimWrapper``) and crop-mode ``test_step`` with the inference
defaults (``default``: ``test_cfg.precision``, ``channels_last``, conv-BN
folded) with the largest difference of its attribute probabilities, and
``peaks_gflops``: the matmul in fp32 and bf16. Mode ``cascade`` times
``inference_faces`` on the first ``--photos`` wild test photos (decoded
beforehand) in both, with the faces found at IoU 0.5, beside
facenet-pytorch's MTCNN where importable (not a dependency); per stage
(``s``: S_Net over the pyramid, ``CascadeFaceFinder.propose``; ``m`` /
``l``: ``refine(..., 2 / 3)``) the seconds, proposals left and GMACs per
photo and the faces its boxes find, and ``other_seconds_per_photo`` (the
rest of ``inference_faces``: preprocessing, packing the results).
Mode ``loop`` runs the config's own training (``Runner.train`` as
``tools/train.py`` does: data loading, hooks and all) for ``--loop-iters``
iterations in fp32 NCHW and as configured, alternating the two
``--repeats`` times, and reports the mean seconds per iteration after
the first ``--loop-warmup`` (each run starts its loader's workers anew).
Commands and results: docs/benchmarks.md, docs/study_log.md.
"""
import argparse
import copy
import os.path as osp
import tempfile
import time
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Optional, Sequence

import cv2
import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config, DictAction
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

import mcfa_mm  # noqa: F401  (registers the components)
from mcfa_mm.apis import inference_faces, init_face_model
from mcfa_mm.models.detectors import CascadeFaceFinder
from mcfa_mm.testing import random_face_samples
from mcfa_mm.utils.benchmarking import (
    REPO_ROOT, add_common_args, against_matmul, default_wild_root,
    faces_found, interleaved, load_config, machine_info, matmul_arm, median,
    rates, start_benchmark, timed_methods, wild_test_infos, write_report)
from mcfa_mm.utils.complexity import count_macs

MODEL_CONFIGS: Dict[str, str] = {
    'full': 'configs/mcfa/mcfa_vgg16_8xb32-30e_celeba-multisource.py',
    'cpu': ('configs/mcfa_study/'
            'mcfa_vgg16-w025-128px_1xb32-8e_celeba-multisource.py'),
}
#: What makes a config's model fp32 NCHW, whatever it chose.
FP32_NCHW = {'model.channels_last': False, 'model.test_cfg.precision': 'fp32',
             'model.test_cfg.channels_last': False}
#: The cascade's stages: S_Net over the pyramid, then M_Net and L_Net.
STAGES = ('s', 'm', 'l')


def fp32_nchw_config(cfg: Config) -> Config:
    """A copy of a config that trains and predicts in fp32 NCHW: the plain
    ``OptimWrapper`` (without a mixed-precision wrapper's ``dtype``) and
    :data:`FP32_NCHW`."""
    cfg = copy.deepcopy(cfg)
    cfg.merge_from_dict(FP32_NCHW)
    cfg.optim_wrapper.type = 'OptimWrapper'
    cfg.optim_wrapper.pop('dtype', None)
    return cfg


def random_batch(detector, batch: int, seed: int = 0) -> dict:
    """A batch as the data loader gives it: uint8 BGR images and training
    samples with some non- and part faces."""
    size = detector.input_size
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (batch, 3, size, size),
                           generator=generator, dtype=torch.uint8)
    labels = [(1, 1, 0, -1)[i % 4] for i in range(batch)]
    samples = random_face_samples(batch, size, detector.head.num_attributes,
                                  labels, seed)
    return dict(inputs=list(images), data_samples=samples)


def train_arms(detector, cfg, batch: int, last_losses: Dict[str, float],
               bf16: bool = False) -> dict:
    """One training step per call: ``train_step`` with an ``OptimWrapper``;
    with ``bf16``, also ``train_step`` from the same weights in bf16
    autocast NHWC (``CPUAmpOptimWrapper``) on a copy. Each stores its loss
    in ``last_losses`` (to check it stays finite)."""
    data = random_batch(detector, batch)
    arms = {}
    if bf16:
        nhwc = copy.deepcopy(detector).train()
        nhwc._to_channels_last()
        amp = build_optim_wrapper(nhwc, dict(
            copy.deepcopy(cfg.optim_wrapper), type='CPUAmpOptimWrapper'))
        arms['bf16_nhwc'] = lambda: last_losses.update(bf16_nhwc=float(
            nhwc.train_step(copy.copy(data), amp)['loss']))
    detector.train()
    wrapper = build_optim_wrapper(detector,
                                  fp32_nchw_config(cfg).optim_wrapper)
    arms['detector'] = lambda: last_losses.update(detector=float(
        detector.train_step(copy.copy(data), wrapper)['loss']))
    return arms


def predict_arms(detector, batch: int, default=None) -> tuple:
    """One crop-mode ``test_step`` per call (as MMEngine's loops and
    ``inference_faces`` call it); with a ``default`` model, its
    ``test_step`` too.

    Returns:
        tuple: The arms, and with ``default`` the largest difference of its
        attribute probabilities from the detector's
        (``attribute_scores_max_abs_diff``).
    """
    data = random_batch(detector, batch)
    detector.eval()
    arms = dict(detector=lambda: detector.test_step(copy.copy(data)))
    if default is None:
        return arms, {}
    arms['default'] = lambda: default.test_step(copy.copy(data))
    diff = max(float((a.pred_instances.attribute_scores -
                      b.pred_instances.attribute_scores).abs().max())
               for a, b in zip(arms['detector'](), arms['default']()))
    return arms, dict(attribute_scores_max_abs_diff=round(diff, 5))


def summarise(times: Dict[str, List[float]], batch: int, macs: float,
              matmul_gflops: float) -> dict:
    """Throughput, GFLOP/s and ratios of each arm from its timings."""
    report = {
        name: dict(samples_per_s=round(batch / median(seconds), 3),
                   seconds_per_batch=[round(s, 5) for s in seconds],
                   **rates(macs * batch, median(seconds), matmul_gflops))
        for name, seconds in times.items() if name != 'matmul'
    }
    for name, entry in report.items():
        if name != 'detector':  # bf16_nhwc, default: over fp32 NCHW
            entry['speedup'] = round(
                entry['samples_per_s'] / report['detector']['samples_per_s'],
                3)
    return report


@contextmanager
def stage_instruments(model: nn.Module,
                      count_macs: bool = False) -> Iterator[dict]:
    """``seconds`` (and optionally ``macs``) per cascade stage, accumulated.

    Wraps ``CascadeFaceFinder.propose`` (S) and ``refine`` (M for 2
    stages, L for 3) on the class (the detector makes a finder per call);
    forward hooks on every conv and linear credit MACs to the stage running.
    """
    active: List[str] = []
    macs = dict.fromkeys(STAGES, 0)

    def hook(module, _, output) -> None:
        if active:
            macs[active[-1]] += output.numel() * (
                module.weight[0].numel() if isinstance(module, nn.Conv2d)
                else module.in_features)

    handles = [
        m.register_forward_hook(hook) for m in model.modules()
        if count_macs and isinstance(m, (nn.Conv2d, nn.Linear))
    ]
    targets = [('s', CascadeFaceFinder, 'propose'),
               (lambda self, image, boxes, num_stages: STAGES[num_stages - 1],
                CascadeFaceFinder, 'refine')]
    try:
        with timed_methods(targets, dict.fromkeys(STAGES, 0.),
                           active) as seconds:
            yield dict(seconds=seconds, macs=macs)
    finally:
        for handle in handles:
            handle.remove()


def cascade_arm(model, images: List[np.ndarray],
                stage_seconds: List[dict]) -> Callable[[], None]:
    """One pass of ``model``'s cascade over ``images`` per call, which
    appends its seconds per stage to ``stage_seconds``."""

    def call() -> None:
        with stage_instruments(model) as record:
            inference_faces(model, images)
        stage_seconds.append(record['seconds'])

    return call


def stage_work(model, images: List[np.ndarray],
               gt_boxes: List[np.ndarray]) -> tuple:
    """One untimed pass of ``model``'s cascade over ``images`` (the hooks
    counting MACs cost time), keeping the boxes that leave each stage.

    Returns:
        tuple: Per stage ``proposals_per_photo``, ``gmacs_per_photo`` and
        ``faces_found`` (of ``gt_boxes``, by the stage's boxes at IoU 0.5:
        where the cascade loses faces); and the final boxes per photo.
    """
    settings = model.test_cfg['cascade']
    model.test_cfg['cascade'] = dict(settings, return_stage_boxes=True)
    try:
        with stage_instruments(model, count_macs=True) as work:
            results = inference_faces(model, images)
    finally:
        model.test_cfg['cascade'] = settings
    count, stages = len(images), {}
    for stage in STAGES:
        # arrays are searched as they are: the boxes are in photo pixels
        boxes = [r.pred_instances.metainfo['stage_boxes'][stage]
                 for r in results]
        stages[stage] = dict(
            proposals_per_photo=round(sum(map(len, boxes)) / count, 2),
            gmacs_per_photo=round(work['macs'][stage] / count / 1e9, 4),
            faces_found=sum(map(faces_found, gt_boxes, boxes)))
    return stages, [r.pred_instances.bboxes for r in results]


def cascade_report(models: dict, args: argparse.Namespace) -> dict:
    """Seconds per photo and faces found (IoU 0.5) of the whole-photo
    cascade of each of ``models``, also per stage with its proposals and
    GMACs (:func:`stage_work`), and of facenet-pytorch's MTCNN (where
    importable), on the first ``args.photos`` wild test photos."""
    start = time.perf_counter()
    infos = wild_test_infos(args.wild_root, args.photos)
    images = [cv2.imread(info['img_path']) for info in infos]
    gt_boxes = [np.array([i['bbox'] for i in info['instances']],
                         np.float32).reshape(-1, 4) for info in infos]
    count = len(images)
    report = dict(photos=count, faces=sum(map(len, gt_boxes)))
    arms, stage_seconds = {}, {name: [] for name in models}
    for name, model in models.items():
        model.test_cfg['mode'] = 'cascade'
        arms[name] = cascade_arm(model, images, stage_seconds[name])
    try:
        from facenet_pytorch import MTCNN
        mtcnn, rgb = MTCNN(keep_all=True, device='cpu'), [
            image[:, :, ::-1].copy() for image in images]
        arms['mtcnn'] = lambda: [
            np.zeros((0, 4)) if boxes is None else boxes
            for boxes, _ in map(mtcnn.detect, rgb)]
    except ImportError as error:
        report['mtcnn_note'] = (f'facenet-pytorch not importable ({error}); '
                                'not run')
    times = interleaved(arms, dict.fromkeys(arms, 1), args.repeats, warmup=1)
    for name, arm in arms.items():
        seconds = median(times[name]) / count
        entry = dict(seconds_per_photo=round(seconds, 5),
                     seconds_per_pass=[round(t, 3) for t in times[name]])
        if name in models:
            stages, boxes = stage_work(models[name], images, gt_boxes)
            # the warm-up pass recorded stage times too: keep the timed ones
            for stage, work in stages.items():
                work['seconds_per_photo'] = round(median(
                    [p[stage] for p in stage_seconds[name][1:]]) / count, 5)
            entry.update(stages=stages, other_seconds_per_photo=round(
                seconds - sum(w['seconds_per_photo']
                              for w in stages.values()), 5))
        else:
            boxes = arm()
        found = sum(map(faces_found, gt_boxes, boxes))
        report[name] = dict(
            entry, faces_found=found,
            found_percent=round(100 * found / max(report['faces'], 1), 2))
    report['default_speedup'] = round(
        report['fp32_nchw']['seconds_per_photo'] /
        report['default']['seconds_per_photo'], 3)
    report['wall_seconds'] = round(time.perf_counter() - start, 1)
    return report


def loop_seconds(cfg: Config, iters: int, warmup: int) -> float:
    """Mean seconds per iteration of ``Runner.train`` on ``cfg`` for
    ``iters`` iterations, leaving out the first ``warmup`` (the times
    mmengine's ``IterTimerHook`` logs)."""
    cfg = copy.deepcopy(cfg)
    with tempfile.TemporaryDirectory() as work_dir:
        # iteration-based whatever the config's loop, without validation
        cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters,
                             val_interval=iters + 1)
        cfg.merge_from_dict({
            'work_dir': work_dir,
            'default_hooks.checkpoint.interval': iters + 1,
            'default_hooks.checkpoint.save_last': False,
            'default_hooks.logger.interval': iters,
        })
        # distinct names per run: mmengine keeps one message hub and one
        # visualizer per name, and a reused one writes to the last run's
        # (deleted) folder
        name = f'loop_{time.time_ns()}'
        cfg.experiment_name = name
        cfg.visualizer.name = name
        runner = Runner.from_cfg(cfg)
        runner.train()
        times = runner.message_hub.get_scalar('train/time').data[0]
    return float(np.mean(times[warmup:]))


def loop_report(cfg: Config, args: argparse.Namespace) -> dict:
    """``tools/train.py``'s loop in fp32 NCHW and as configured,
    alternating (see the module docstring)."""
    arms = dict(fp32_nchw=fp32_nchw_config(cfg), default=cfg)
    runs = {name: [] for name in arms}
    for _ in range(args.repeats):
        for name, arm_cfg in arms.items():
            runs[name].append(
                loop_seconds(arm_cfg, args.loop_iters, args.loop_warmup))
    report = {
        name: dict(seconds_per_iter=round(median(times), 4),
                   seconds_per_iter_runs=[round(t, 4) for t in times])
        for name, times in runs.items()
    }
    report['speedup'] = round(
        report['fp32_nchw']['seconds_per_iter'] /
        report['default']['seconds_per_iter'], 3)
    return report


def bench_model(name: str, args: argparse.Namespace) -> dict:
    """All measurements of one model (see the module docstring)."""
    config = MODEL_CONFIGS.get(name, name)
    config = config if osp.exists(config) else osp.join(REPO_ROOT, config)
    cfg = load_config(config)
    cfg.merge_from_dict(args.cfg_options)
    # without a checkpoint both start from PyTorch's default init, seed 0
    torch.manual_seed(0)
    detector = init_face_model(config, args.checkpoint, mode='crop',
                               cfg_options=dict(args.cfg_options, **FP32_NCHW),
                               predict_only=False)
    default = None
    if args.precision or 'cascade' in args.modes:
        torch.manual_seed(0)
        default = init_face_model(config, args.checkpoint, mode='crop',
                                  cfg_options=args.cfg_options)
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
    if default is not None:
        report['inference_defaults'] = {
            k: default.test_cfg.get(k)
            for k in ('precision', 'channels_last', 'flip', 'cascade')
        }
    report.update(train={}, predict={})
    for batch in args.batch_sizes:
        for mode in [mode for mode in args.modes
                     if mode in ('train', 'predict')]:
            last_losses: Dict[str, float] = {}
            diffs = {}
            if mode == 'train':
                # on a copy: prediction and the cascade keep the weights
                arms = train_arms(copy.deepcopy(detector), cfg, batch,
                                  last_losses, args.precision)
                macs = 3 * forward['macs']  # backward: twice the forward
            else:
                arms, diffs = predict_arms(
                    detector, batch, default if args.precision else None)
                macs = predict_macs
            times, matmul_gflops = against_matmul(arms, args.iters, args)
            entry = summarise(times, batch, macs, matmul_gflops)
            entry['matmul_gflops'] = round(matmul_gflops, 2)
            if mode == 'train':
                entry['last_losses'] = {
                    k: round(v, 4) for k, v in last_losses.items()}
            report[mode][f'batch_{batch}'] = dict(entry, **diffs)
            del arms
    if 'loop' in args.modes:
        report['loop'] = loop_report(cfg, args)
    if 'cascade' in args.modes and args.photos:
        report['cascade'] = cascade_report(
            dict(fp32_nchw=detector, default=default), args)
    return report


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--models', nargs='+', default=['full', 'cpu'],
                        help="'full', 'cpu' or config paths")
    parser.add_argument('--checkpoint', default=None,
                        help='their weights (random weights find few faces '
                        'in the cascade)')
    parser.add_argument('--batch-sizes', type=int, nargs='+',
                        default=[1, 8, 32])
    parser.add_argument('--modes', nargs='*', default=['train', 'predict'],
                        choices=['train', 'predict', 'cascade', 'loop'],
                        help='none: only the parameters and MACs')
    parser.add_argument('--iters', type=int, default=3,
                        help='calls per timed block')
    parser.add_argument('--precision', action='store_true',
                        help='also bf16 NHWC training, the inference '
                        'defaults and the bf16 matmul')
    parser.add_argument('--loop-iters', type=int, default=120,
                        help='iterations per training run of mode loop')
    parser.add_argument('--loop-warmup', type=int, default=20,
                        help='first iterations of each run left out')
    parser.add_argument('--photos', type=int, default=60,
                        help='wild test photos of the cascade mode')
    parser.add_argument('--wild-root', default=default_wild_root())
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        default={}, help='config overrides of every arm, '
                        'e.g. model.test_cfg.cascade.min_face_size=48 '
                        '(the fp32 NCHW arm stays fp32 NCHW)')
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    start_benchmark(args)
    report = dict(machine=machine_info(), args=vars(args))
    if args.precision:
        arms = dict(fp32=matmul_arm(args.matmul_size),
                    bf16=matmul_arm(args.matmul_size, torch.bfloat16))
        times = interleaved(arms, dict.fromkeys(arms, args.matmul_iters),
                            args.repeats, args.warmup)
        report['peaks_gflops'] = {
            name: round(2 * args.matmul_size**3 / median(t) / 1e9, 2)
            for name, t in times.items()
        }
    report['models'] = {name: bench_model(name, args) for name in args.models}
    return write_report(report, args.out)


if __name__ == '__main__':
    main()
