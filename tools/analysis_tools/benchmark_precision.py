"""fp32 NCHW against bf16 / channels-last on the CPU, side by side (JSON).

One run, interleaved arms (medians over ``--repeats``), on the same weights:

- ``peaks``: a large matmul in fp32 and in bf16 (the machine's reachable
  GFLOP/s in each precision);
- ``train``: one ``train_step`` of ``--batch-size`` random crops, fp32 NCHW
  with ``OptimWrapper`` against bf16 autocast NHWC with
  :class:`~mcfa_mm.engine.CPUAmpOptimWrapper` (the model's forward MACs
  times 3 for GFLOP/s);
- ``predict``: crop-mode ``test_step`` of ``--batch-size`` crops, fp32 NCHW
  against the inference defaults (``test_cfg.precision``,
  ``channels_last``, conv-BN folded), with the largest difference of their
  attribute probabilities;
- ``cascade``: ``inference_faces`` over the first ``--photos`` wild test
  photos (decoded beforehand) in both, with faces found at IoU 0.5; and
  facenet-pytorch's MTCNN on the same arrays when it is importable (it is
  not a dependency; skipped with a note otherwise).

The real training loop (data loading included) is measured by
``tools/train.py`` itself: see docs/study_log.md for its logs.
"""
import argparse
import copy
import time
from typing import Callable, Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.optim import build_optim_wrapper

import mcfa_mm  # noqa: F401  (registers the components)
from mcfa_mm.apis import inference_faces, init_face_model
from mcfa_mm.testing import random_face_samples
from mcfa_mm.utils.benchmarking import (add_common_args, faces_found,
                                        interleaved, load_config,
                                        machine_info, median, start_benchmark,
                                        wild_test_infos, write_report)
from mcfa_mm.utils.complexity import count_macs
from mmdet.registry import MODELS

DEFAULT_CONFIG = ('configs/mcfa/mcfa-recipe_vgg16-w025-128px_bf16_1xb32-'
                  '8500i_celeba-extra-multisource.py')
WILD_ROOT = '../shared/data/wild/'


def matmul_peak(size: int, dtype: torch.dtype) -> Callable[[], None]:
    """One ``size``-square matmul in ``dtype`` per call."""
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=generator).to(dtype)
    b = torch.randn(size, size, generator=generator).to(dtype)
    return lambda: torch.mm(a, b)


def random_crops(size: int, batch: int, num_attributes: int) -> dict:
    """A training batch as the loader gives it: uint8 crops and samples
    with faces, non-faces and part faces."""
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (batch, 3, size, size),
                           generator=generator, dtype=torch.uint8)
    labels = [(1, 1, 0, -1)[i % 4] for i in range(batch)]
    return dict(inputs=list(images),
                data_samples=random_face_samples(batch, size, num_attributes,
                                                 labels))


def train_arms(cfg, batch: int) -> Dict[str, Callable[[], object]]:
    """``train_step`` in fp32 NCHW and in bf16 autocast NHWC."""
    arms = {}
    for name, (channels_last, wrapper) in dict(
            fp32_nchw=(False, 'OptimWrapper'),
            bf16_nhwc=(True, 'CPUAmpOptimWrapper')).items():
        torch.manual_seed(0)
        model_cfg = copy.deepcopy(cfg.model)
        model_cfg['channels_last'] = channels_last
        model = MODELS.build(model_cfg).train()
        wrapper_cfg = dict(copy.deepcopy(cfg.optim_wrapper), type=wrapper)
        if wrapper == 'OptimWrapper':
            wrapper_cfg.pop('dtype', None)
        optim_wrapper = build_optim_wrapper(model, wrapper_cfg)
        data = random_crops(model.input_size, batch, model.head.num_attributes)
        arms[name] = (lambda m=model, d=data, w=optim_wrapper: m.train_step(
            copy.copy(d), w))
    return arms


def inference_models(config: str, checkpoint: Optional[str]) -> dict:
    """The model as fp32 NCHW and with its configured inference defaults
    (``test_cfg.precision``, ``channels_last``, conv-BN folded)."""
    default = init_face_model(config, checkpoint, mode='crop')
    if default.test_cfg.get('channels_last'):
        default._to_channels_last()
    plain = init_face_model(config, checkpoint, mode='crop',
                            fuse_conv_bn=False)
    plain.test_cfg.update(precision='fp32', channels_last=False)
    plain.channels_last = False
    plain.to(memory_format=torch.contiguous_format)
    return dict(fp32_nchw=plain, default=default)


def predict_arms(models: dict, batch: int) -> tuple:
    """Crop-mode ``test_step`` of each model, and the largest difference
    of their attribute probabilities."""
    some = next(iter(models.values()))
    data = random_crops(some.input_size, batch, some.head.num_attributes)
    arms = {name: (lambda m=model: m.test_step(copy.copy(data)))
            for name, model in models.items()}
    scores = [
        torch.cat([r.pred_instances.attribute_scores for r in arm()])
        for arm in arms.values()
    ]
    return arms, float((scores[0] - scores[1]).abs().max())


def wild_photos(root: str, count: int) -> tuple:
    """The first ``count`` wild test photos (BGR arrays) and their boxes."""
    infos = wild_test_infos(root, count)
    images = [cv2.imread(info['img_path']) for info in infos]
    boxes = [
        np.array([i['bbox'] for i in info['instances']],
                 np.float32).reshape(-1, 4) for info in infos
    ]
    return images, boxes


def mtcnn_arm(images: List[np.ndarray]) -> tuple:
    """facenet-pytorch's MTCNN over the photos, or why it is not run."""
    try:
        from facenet_pytorch import MTCNN
    except ImportError as error:
        return None, f'facenet-pytorch not importable ({error}); not run'
    detector = MTCNN(keep_all=True, device='cpu')
    rgb = [image[:, :, ::-1].copy() for image in images]

    def run() -> List[np.ndarray]:
        found = []
        for image in rgb:
            boxes, _ = detector.detect(image)
            found.append(np.zeros((0, 4)) if boxes is None else boxes)
        return found

    return run, None


def cascade_report(models: dict, images: List[np.ndarray],
                   gt_boxes: List[np.ndarray], repeats: int) -> dict:
    """Seconds per photo and faces found of each cascade arm (and
    MTCNN's where it runs)."""
    arms: Dict[str, Callable[[], object]] = {}
    for name, model in models.items():
        model.test_cfg['mode'] = 'cascade'
        arms[name] = (lambda m=model: [
            r.pred_instances.bboxes for r in inference_faces(m, images)])
    mtcnn, note = mtcnn_arm(images)
    if mtcnn is not None:
        arms['mtcnn'] = mtcnn
    times = interleaved(arms, dict.fromkeys(arms, 1), repeats, warmup=1)
    total = sum(len(b) for b in gt_boxes)
    report = dict(photos=len(images), faces=total)
    for name, arm in arms.items():
        boxes = arm()
        found = sum(faces_found(g, b) for g, b in zip(gt_boxes, boxes))
        report[name] = dict(
            seconds_per_photo=round(median(times[name]) / len(images), 5),
            seconds_per_pass=[round(t, 3) for t in times[name]],
            faces_found=found,
            found_percent=round(100 * found / max(total, 1), 2))
    if note:
        report['mtcnn_note'] = note
    for name in models:
        if name != 'fp32_nchw':
            report[f'{name}_speedup'] = round(
                report['fp32_nchw']['seconds_per_photo'] /
                report[name]['seconds_per_photo'], 3)
    return report


def speedups(times: Dict[str, List[float]], batch: int, macs: float,
             baseline: str = 'fp32_nchw') -> dict:
    """Samples/s and GFLOP/s of each arm and its speed-up over
    ``baseline``."""
    report = {}
    for name, seconds in times.items():
        report[name] = dict(
            samples_per_s=round(batch / median(seconds), 2),
            gflops=round(2 * macs * batch / median(seconds) / 1e9, 2),
            seconds=[round(s, 4) for s in seconds])
    for name in times:
        report[name]['speedup'] = round(
            median(times[baseline]) / median(times[name]), 3)
    return report


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--checkpoint', default=None,
                        help='weights for predict and cascade (random '
                        'weights find few faces)')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--iters', type=int, default=3,
                        help='calls per timed block (train, predict)')
    parser.add_argument('--photos', type=int, default=60,
                        help='wild test photos for the cascade; 0: skip')
    parser.add_argument('--wild-root', default=WILD_ROOT)
    parser.add_argument('--modes', nargs='+',
                        default=['train', 'predict', 'cascade'],
                        choices=['train', 'predict', 'cascade'])
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    start_benchmark(args)
    cfg = load_config(args.config)
    report = dict(machine=machine_info(), args=vars(args))
    peaks = interleaved(
        dict(fp32=matmul_peak(args.matmul_size, torch.float32),
             bf16=matmul_peak(args.matmul_size, torch.bfloat16)),
        dict.fromkeys(('fp32', 'bf16'), args.matmul_iters), args.repeats,
        args.warmup)
    report['peaks_gflops'] = {
        name: round(2 * args.matmul_size**3 / median(t) / 1e9, 2)
        for name, t in peaks.items()
    }
    probe = MODELS.build(copy.deepcopy(cfg.model)).eval()
    face = torch.zeros(1, 3, probe.input_size, probe.input_size)
    forward_macs = count_macs(probe, probe._forward, face)['macs']
    if 'train' in args.modes:
        times = interleaved(train_arms(cfg, args.batch_size),
                            dict(fp32_nchw=args.iters, bf16_nhwc=args.iters),
                            args.repeats, args.warmup)
        report['train'] = speedups(times, args.batch_size, 3 * forward_macs)
    if 'predict' in args.modes or 'cascade' in args.modes:
        models = inference_models(args.config, args.checkpoint)
        report['inference_defaults'] = {
            k: models['default'].test_cfg.get(k)
            for k in ('precision', 'channels_last', 'flip')
        }
    if 'predict' in args.modes:
        arms, diff = predict_arms(models, args.batch_size)
        times = interleaved(arms, dict.fromkeys(arms, args.iters),
                            args.repeats, args.warmup)
        report['predict'] = speedups(times, args.batch_size, forward_macs)
        report['predict']['attribute_scores_max_abs_diff'] = round(diff, 5)
    if 'cascade' in args.modes and args.photos:
        images, boxes = wild_photos(args.wild_root, args.photos)
        start = time.perf_counter()
        report['cascade'] = cascade_report(models, images, boxes,
                                           args.repeats)
        report['cascade']['wall_seconds'] = round(
            time.perf_counter() - start, 1)
    return write_report(report, args.out)


if __name__ == '__main__':
    main()
