"""Whole-image cascade inference: time and work of each stage (JSON).

Runs ``mcfa_mm.apis.inference_faces`` in cascade mode on images of a few
sizes, interleaved with a large fp32 matmul, and reports per size (medians
over ``--repeats``): ``seconds`` of the whole call and per stage (``s``:
``CascadeFaceFinder.propose``, ``m`` / ``l``: ``refine(..., 2 / 3)``,
``other_seconds``: the rest), ``num_proposals`` left after each stage, and
the ``gmacs`` per stage (forward hooks, in an untimed pass) with the GFLOP/s
achieved against the matmul's. Images are in-the-wild photos of each size
from ``--image-dir``, else one resized. An untrained model rejects nearly
everything at MTCNN's thresholds: pass low ``--thresholds`` so the later
stages get work, and ``--max-proposals`` to bound it. Commands and results:
docs/study_log.md.
"""
import argparse
import glob
import os.path as osp
import random
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn as nn
from mmengine.runner import load_checkpoint

import mcfa_mm  # noqa: F401  (registers the components)
from mcfa_mm.apis import inference_faces
from mcfa_mm.models.detectors.cascade import CascadeFaceFinder
from mcfa_mm.utils.benchmarking import (REPO_ROOT, add_common_args,
                                        against_matmul, load_config,
                                        machine_info, median, rates,
                                        start_benchmark, timed_methods,
                                        write_report)
from mmdet.registry import MODELS

DEFAULT_CONFIG = ('configs/mcfa/'
                  'mcfa_vgg16-w025-128px_1xb32-8e_celeba-multisource.py')
WILD_IMAGES = osp.join(REPO_ROOT, '..', 'shared', 'data', 'wild', 'Img',
                       'img_wild')
STAGES = ('s', 'm', 'l')


def find_images(sizes: List[Tuple[int, int]], image_dir: str,
                max_reads: int = 200) -> Dict[Tuple[int, int], tuple]:
    """A BGR image of each size and where it came from: a photo of exactly
    that size among the first ``max_reads`` (in a fixed shuffled order: the
    sizes are mixed), else the first photo resized."""
    paths = sorted(glob.glob(osp.join(image_dir, '*.jpg')))
    if not paths:
        raise FileNotFoundError(f'no *.jpg photos in {image_dir}')
    random.Random(0).shuffle(paths)
    found: Dict[Tuple[int, int], tuple] = {}
    for path in paths[:max_reads]:
        image = cv2.imread(path)
        size = (image.shape[1], image.shape[0])
        if size in sizes and size not in found:
            found[size] = (image, f'real: {osp.basename(path)}')
        if len(found) == len(sizes):
            break
    first = cv2.imread(paths[0])
    for size in set(sizes) - set(found):
        found[size] = (cv2.resize(first, size),
                       f'real, resized: {osp.basename(paths[0])}')
    return found


@contextmanager
def stage_instruments(model: nn.Module,
                      count_macs: bool = False) -> Iterator[dict]:
    """``seconds`` (and optionally ``macs``) per stage, accumulated.

    Wraps ``CascadeFaceFinder.propose`` (S) and ``refine`` (M for 2
    stages, L for 3) on the class (the detector makes a finder per call);
    forward hooks on every conv and linear credit MACs to the stage running.
    """
    active: List[str] = []
    macs = dict.fromkeys(STAGES, 0)

    def hook(module, _, output):
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


def build_model(config: str, checkpoint: Optional[str], args):
    """The config's model in cascade mode (random init unless a
    checkpoint), with the ``test_cfg`` overrides of ``args``."""
    torch.manual_seed(0)
    model = MODELS.build(load_config(config).model)
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location='cpu')
    else:
        model.init_weights()
    model.eval()
    model.test_cfg['mode'] = 'cascade'
    overrides = dict(
        thresholds=tuple(args.thresholds) if args.thresholds else None,
        min_face_size=args.min_face_size,
        max_proposals=args.max_proposals,
        channels_last=args.channels_last or None)
    model.test_cfg.update(
        {k: v for k, v in overrides.items() if v is not None})
    return model


def measure(model, images: Dict[str, np.ndarray], args) -> dict:
    """Timings, proposals and MACs of every image (see module docstring)."""
    # untimed pass: proposals and MACs per stage
    work = {}
    for name, image in images.items():
        with stage_instruments(model, count_macs=True) as record:
            result = inference_faces(model, image)
        work[name] = dict(
            num_proposals=dict(result.pred_instances.metainfo.get(
                'num_proposals', {})),
            num_faces=len(result.pred_instances),
            macs=dict(record['macs']))

    stage_times = {name: {s: [] for s in STAGES} for name in images}

    def arm(name: str, image: np.ndarray):

        def call() -> None:
            with stage_instruments(model) as record:
                inference_faces(model, image)
            for stage, seconds in record['seconds'].items():
                stage_times[name][stage].append(seconds)

        return call

    times, matmul_gflops = against_matmul(
        {name: arm(name, image) for name, image in images.items()}, 1, args)

    report = dict(matmul_gflops=round(matmul_gflops, 2), images={})
    for name in images:
        total = median(times[name])
        # the warm-up calls recorded stage times too: keep the timed ones
        per_stage = {s: median(v[-args.repeats:])
                     for s, v in stage_times[name].items()}
        macs = work[name]['macs']
        stages = {
            stage: dict(seconds=round(per_stage[stage], 5),
                        gmacs=round(macs[stage] / 1e9, 4),
                        **rates(macs[stage], per_stage[stage], matmul_gflops))
            for stage in STAGES
        }
        report['images'][name] = dict(
            seconds=round(total, 5),
            seconds_repeats=[round(t, 5) for t in times[name]],
            stages=stages,
            other_seconds=round(total - sum(per_stage.values()), 5),
            num_proposals=work[name]['num_proposals'],
            num_faces=work[name]['num_faces'],
            gmacs=round(sum(macs.values()) / 1e9, 4),
            **rates(sum(macs.values()), total, matmul_gflops))
    return report


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', nargs='?', default=DEFAULT_CONFIG)
    parser.add_argument('--checkpoint', default=None)
    parser.add_argument('--sizes', nargs='+',
                        default=['160x216', '400x400', '640x480'],
                        help='WIDTHxHEIGHT of each image')
    parser.add_argument('--image-dir', default=WILD_IMAGES)
    parser.add_argument('--thresholds', type=float, nargs=3, default=None,
                        help='S, M, L face-score thresholds (test_cfg)')
    parser.add_argument('--min-face-size', type=int, default=None)
    parser.add_argument('--max-proposals', type=int, default=None,
                        help="S proposals kept per image (test_cfg; bounds "
                        "M's and L's work; default the cascade's 2000)")
    parser.add_argument('--channels-last', action='store_true',
                        help="test_cfg.channels_last (NHWC weights)")
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    start_benchmark(args)
    model = build_model(args.config, args.checkpoint, args)
    sizes = [tuple(int(v) for v in s.lower().split('x')) for s in args.sizes]
    found = find_images(sizes, args.image_dir)
    images = {f'{w}x{h}': found[(w, h)][0] for w, h in sizes}
    report = dict(
        machine=machine_info(),
        args=vars(args),
        test_cfg=dict(model.test_cfg),
        image_sources={f'{w}x{h}': found[(w, h)][1] for w, h in sizes})
    report.update(measure(model, images, args))
    return write_report(report, args.out)


if __name__ == '__main__':
    main()
