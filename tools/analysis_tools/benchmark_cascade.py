"""Whole-image cascade inference: time and work of each stage (JSON).

Runs ``mcfa_mm.apis.inference_faces`` in cascade mode (S_Net slides over
the pyramid, M_Net and L_Net refine the survivors) on images of a few sizes
and reports, per size (medians over ``--repeats``, the sizes and a large
fp32 matmul interleaved in every repeat):

- ``seconds``: the whole call (pipeline, preprocessing, the three stages,
  the results), and per stage: ``s`` (``CascadeFaceFinder.propose``), ``m``
  and ``l`` (``refine(..., 2)`` and ``refine(..., 3)``), ``other`` (the
  rest);
- ``num_proposals``: candidates left after each stage;
- ``gmacs`` per stage (counted by forward hooks in a separate, untimed
  pass) and the GFLOP/s each stage achieves, against the matmul's.

Images are real in-the-wild photos of the requested size from
``../shared/data/wild/Img/img_wild`` when there (else a real one resized,
else drawn by :func:`mcfa_mm.testing.generate_demo_faces`). An
untrained model rejects nearly everything at MTCNN's thresholds: pass low
``--thresholds`` so the later stages get work (and ``--max-proposals`` to
bound it: at low thresholds an untrained model passes nearly everything,
and L_Net then refines up to 2000 crops per image).

Example (the final measurement, on a quiet machine)::

    python tools/analysis_tools/benchmark_cascade.py \
        --sizes 160x216 400x400 640x480 --thresholds 0.5 0.5 0.5 \
        --max-proposals 300 --repeats 5
"""
import argparse
import glob
import os.path as osp
import random
import tempfile
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.runner import load_checkpoint

import mcfa_mm  # noqa: F401  (registers the components)
from mcfa_mm.apis import inference_faces
from mcfa_mm.models.detectors.cascade import CascadeFaceFinder
from mmdet.registry import MODELS

from mcfa_mm.utils.benchmarking import (add_common_args, interleaved,
                                        machine_info, matmul_arm, median,
                                        start_benchmark, timed_methods,
                                        write_report)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

DEFAULT_CONFIG = ('configs/mcfa/'
                  'mcfa_vgg16-w025-128px_1xb32-8e_celeba-multisource.py')
WILD_IMAGES = osp.join(REPO_ROOT, '..', 'shared', 'data', 'wild', 'Img',
                       'img_wild')
STAGES = ('s', 'm', 'l')


def parse_size(text: str) -> Tuple[int, int]:
    """``'640x480'`` -> (width 640, height 480)."""
    width, height = text.lower().split('x')
    return int(width), int(height)


def find_images(sizes: List[Tuple[int, int]], image_dir: str,
                max_reads: int = 200) -> Dict[Tuple[int, int], tuple]:
    """A BGR image of each size and where it came from.

    Real photos of exactly that size where found among the first
    ``max_reads`` files (in a fixed shuffled order: the sizes are mixed), a
    real photo resized otherwise, drawn faces when there are no photos.
    """
    paths = sorted(glob.glob(osp.join(image_dir, '*.jpg')))
    random.Random(0).shuffle(paths)
    found: Dict[Tuple[int, int], tuple] = {}
    first = None
    for path in paths[:max_reads]:
        image = cv2.imread(path)
        first = first if first is not None else (image, path)
        size = (image.shape[1], image.shape[0])
        if size in sizes and size not in found:
            found[size] = (image, f'real: {osp.basename(path)}')
        if len(found) == len(sizes):
            break
    for size in sizes:
        if size in found:
            continue
        if first is not None:
            found[size] = (cv2.resize(first[0], size),
                           f'real, resized: {osp.basename(first[1])}')
        else:
            found[size] = (_drawn_image(size), 'generated (demo faces)')
    return found


def _drawn_image(size: Tuple[int, int]) -> np.ndarray:
    from mcfa_mm.testing import generate_demo_faces
    with tempfile.TemporaryDirectory() as root:
        # a few: the train / val / test split needs more than one image
        info = generate_demo_faces(root, num_images=4, seed=0,
                                   image_size=size)
        path = sorted(glob.glob(osp.join(info['img_dir'], '*.jpg')))[0]
        return cv2.imread(path)


@contextmanager
def stage_instruments(model: nn.Module,
                      count_macs: bool = False) -> Iterator[dict]:
    """Time (and optionally count the MACs of) each cascade stage.

    Wraps ``CascadeFaceFinder.propose`` (S) and ``refine`` (M for 2
    stages, L for 3) on the class, since the detector makes a new finder
    per call; the MACs are counted by forward hooks on every conv and
    linear of ``model``, credited to the stage running.

    Yields:
        dict: ``seconds`` and ``macs`` per stage, accumulated.
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
    cfg = Config.fromfile(config if osp.exists(config) else osp.join(
        REPO_ROOT, config))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
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
            for stage in STAGES:
                stage_times[name][stage].append(record['seconds'][stage])

        return call

    arms = {name: arm(name, image) for name, image in images.items()}
    arms['matmul'] = matmul_arm(args.matmul_size)
    iters = {k: args.matmul_iters if k == 'matmul' else 1 for k in arms}
    times = interleaved(arms, iters, args.repeats, args.warmup)
    matmul_gflops = 2 * args.matmul_size**3 / median(times['matmul']) / 1e9

    report = dict(matmul_gflops=round(matmul_gflops, 2), images={})
    for name in images:
        total = median(times[name])
        # the warm-up calls recorded stage times too: keep the timed ones
        per_stage = {s: median(v[-args.repeats:])
                     for s, v in stage_times[name].items()}
        macs = work[name]['macs']
        stages = {}
        for stage in STAGES:
            seconds = per_stage[stage]
            gflops = 2 * macs[stage] / seconds / 1e9 if seconds else 0.0
            stages[stage] = dict(
                seconds=round(seconds, 5),
                gmacs=round(macs[stage] / 1e9, 4),
                gflops=round(gflops, 2),
                gflops_ratio=round(gflops / matmul_gflops, 4))
        all_macs = sum(macs.values())
        total_gflops = 2 * all_macs / total / 1e9
        report['images'][name] = dict(
            seconds=round(total, 5),
            seconds_repeats=[round(t, 5) for t in times[name]],
            stages=stages,
            other_seconds=round(total - sum(per_stage.values()), 5),
            num_proposals=work[name]['num_proposals'],
            num_faces=work[name]['num_faces'],
            gmacs=round(all_macs / 1e9, 4),
            gflops=round(total_gflops, 2),
            gflops_ratio=round(total_gflops / matmul_gflops, 4))
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
    sizes = [parse_size(s) for s in args.sizes]
    found = find_images(sizes, args.image_dir)
    images = {f'{w}x{h}': found[(w, h)][0] for w, h in sizes}
    report = dict(
        machine=machine_info(),
        args=vars(args),
        test_cfg={k: v for k, v in model.test_cfg.items()},
        image_sources={f'{w}x{h}': found[(w, h)][1] for w, h in sizes})
    report.update(measure(model, images, args))
    return write_report(report, args.out)


if __name__ == '__main__':
    main()
