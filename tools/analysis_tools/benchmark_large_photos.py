"""Cascade time, peak memory and faces found on large photos (JSON, plot).

Pastes real faces of the in-the-wild test split (``--wild-root``) onto a
smooth background: 4:3 photos of ``--megapixels`` with six faces of box
sides 3 to 30 % of the shorter side. Each JPEG is searched by
:func:`mcfa_mm.apis.inference_faces` in cascade mode in a fresh process (so
that ``peak_rss_mb`` is that photo's; ``rss_before_mb``: Python, torch and
the model), reporting ``seconds`` (after a warm-up call), ``detections``
and ``placed_found`` (placed faces a detection overlaps at IoU >= 0.5).
``--group N`` adds a photo of N faces tiled, ``--wild-upscaled N`` the first
N wild test photos upscaled ``--wild-scale`` times, searched with the
config's ``max_pyramid_side`` and without: what the bound costs. Checkpoint
``none``: random weights, whose times and counts mean nothing. Commands and
results: docs/study_log.md.

A path is decoded reduced (by up to 8, to no less than ``max_pyramid_side``;
:func:`mcfa_mm.utils.image_io.read_image_reduced`). ``--compare-decode``
also searches every photo decoded at full size (an array given to
``inference_faces``) and reports ``full_decode`` (its seconds, peak RSS,
faces) and ``box_agreement``: how the reduced decode's boxes differ from the
full decode's (matched at IoU >= 0.5: mean IoU, largest corner shift over
the box side).
"""
import argparse
import math
import os
import os.path as osp
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from multiprocessing import get_context
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.config import Config

import mcfa_mm  # noqa: F401  (registers the components)
from mcfa_mm.apis import inference_faces
from mcfa_mm.models.detectors.cascade import CASCADE_DEFAULTS
from mcfa_mm.utils import read_image
from mcfa_mm.utils.image_io import read_image_header, reduction_factor
from mcfa_mm.utils.benchmarking import (REPO_ROOT, faces_found, machine_info,
                                        wild_test_infos, write_report)
from mmdet.apis import init_detector
from mmdet.structures.bbox import bbox_overlaps

DEFAULT_WILD = osp.join(REPO_ROOT, '..', 'shared', 'data', 'wild')
#: Face box sides of a photo, as fractions of its shorter side.
FACE_FRACTIONS = (0.03, 0.05, 0.08, 0.12, 0.2, 0.3)
#: A face is pasted with this much context: crop side / box side.
CONTEXT = 1.5


def wild_faces(wild_root: str, count: int) -> List[tuple]:
    """``(BGR photo, x1 y1 x2 y2 face box)`` of the first ``count``
    labelled faces of the wild test split."""
    return [(read_image(info['img_path']),
             np.array(info['instances'][0]['bbox'], np.float64))
            for info in wild_test_infos(wild_root, count)]


def face_patch(image: np.ndarray, box: np.ndarray, side: int) -> tuple:
    """The face with context, resized so that its box side is ``side``,
    and the face box in that patch."""
    long_side = max(box[2] - box[0], box[3] - box[1])
    centre = (box[:2] + box[2:]) / 2
    half = CONTEXT * long_side / 2
    x0, y0 = (centre - half).astype(int)
    crop_side = int(2 * half)
    padded = cv2.copyMakeBorder(image, crop_side, crop_side, crop_side,
                                crop_side, cv2.BORDER_REFLECT)
    crop = padded[y0 + crop_side:y0 + 2 * crop_side,
                  x0 + crop_side:x0 + 2 * crop_side]
    scale = side / long_side
    patch = cv2.resize(crop, (max(1, round(crop_side * scale)), ) * 2)
    inner = (box - [x0, y0, x0, y0]) * scale
    return patch, inner


def background(width: int, height: int, seed: int) -> np.ndarray:
    """A smooth random colour field, face-free."""
    rng = np.random.RandomState(seed)
    small = rng.randint(40, 220, (6, 8, 3)).astype(np.uint8)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)


def paste(canvas: np.ndarray, faces: Sequence[tuple], sides: Sequence[int],
          positions: Sequence[tuple]) -> np.ndarray:
    """Paste face ``i`` with box side ``sides[i]`` at ``positions[i]``;
    returns the ``(N, 4)`` face boxes in the canvas."""
    boxes = []
    for (image, box), side, (x, y) in zip(faces, sides, positions):
        patch, inner = face_patch(image, box, side)
        h, w = patch.shape[:2]
        canvas[y:y + h, x:x + w] = patch[:canvas.shape[0] - y,
                                         :canvas.shape[1] - x]
        boxes.append(inner + [x, y, x, y])
    return np.array(boxes)


def large_photo(faces: Sequence[tuple], megapixels: float,
                seed: int = 0) -> tuple:
    """A 4:3 photo of ``megapixels`` with one face per FACE_FRACTIONS,
    side by side in one row at random heights."""
    height = int(round(math.sqrt(megapixels * 1e6 * 3 / 4)))
    width = int(round(height * 4 / 3))
    canvas = background(width, height, seed)
    rng = np.random.RandomState(seed)
    sides = [max(8, int(f * height)) for f in FACE_FRACTIONS]
    positions, x = [], 0
    gap = (width - sum(int(CONTEXT * s) + 1 for s in sides)) // len(sides)
    for side in sides:
        extent = int(CONTEXT * side) + 1
        positions.append((x, int(rng.randint(0, max(1, height - extent)))))
        x += extent + max(gap, 0)
    chosen = [faces[(seed + i) % len(faces)] for i in range(len(sides))]
    return canvas, paste(canvas, chosen, sides, positions)


def group_photo(faces: Sequence[tuple], count: int, seed: int = 0) -> tuple:
    """``count`` faces with box sides of 90-150 px tiled on a grid."""
    rng = np.random.RandomState(seed)
    sides = rng.randint(90, 151, count)
    cell = int(CONTEXT * 150) + 10
    columns = int(math.ceil(math.sqrt(count * 2)))
    rows = int(math.ceil(count / columns))
    canvas = background(columns * cell, rows * cell, seed)
    positions = [((i % columns) * cell, (i // columns) * cell)
                 for i in range(count)]
    chosen = [faces[i % len(faces)] for i in range(count)]
    return canvas, paste(canvas, chosen, sides, positions)


def search(config: str, checkpoint: Optional[str], paths: List[str],
           boxes: List[np.ndarray], test_cfg: dict,
           full_decode: bool = False) -> dict:
    """Run the cascade on ``paths`` in this (fresh) process: per photo
    ``seconds`` (decoding included), ``detections``, ``placed_found`` (IoU
    >= 0.5) and ``bboxes`` (the boxes found, original pixels), and
    ``peak_rss_mb`` and ``rss_before_mb``. ``full_decode``: decode each
    photo at full size and search that array, instead of the path (which
    is decoded reduced)."""
    torch.manual_seed(0)
    model = init_detector(config, checkpoint, device='cpu')
    model.test_cfg.update(test_cfg, mode='cascade')
    inference_faces(model, np.zeros((120, 160, 3), np.uint8))  # warm-up
    rss_before = _peak_rss_mb()
    seconds, detections, found, found_boxes = [], [], [], []
    for path, placed in zip(paths, boxes):
        start = time.perf_counter()
        pred = inference_faces(model, read_image(path) if full_decode else
                               path).pred_instances
        seconds.append(round(time.perf_counter() - start, 3))
        detections.append(len(pred))
        found.append(faces_found(placed, pred.bboxes))
        found_boxes.append(pred.bboxes.tolist())
    return dict(seconds=seconds, peak_rss_mb=_peak_rss_mb(),
                rss_before_mb=rss_before, detections=detections,
                placed_found=found, bboxes=found_boxes)


def decode_factor(path: str, test_cfg: dict) -> int:
    """The reduction the loader applies to ``path`` for the cascade."""
    with open(path, 'rb') as file:
        header = read_image_header(file.read())
    side = test_cfg.get('max_pyramid_side',
                        CASCADE_DEFAULTS['max_pyramid_side'])
    return reduction_factor(header.height, header.width, side)


def box_agreement(reduced: Sequence[Sequence[List[float]]],
                  full: Sequence[Sequence[List[float]]]) -> dict:
    """How the boxes found on reduced decodes differ from those on full
    ones, over photos: each full-decode box matched to the reduced box of
    highest IoU (>= 0.5).

    Args:
        reduced (Sequence): Per photo, the boxes of the reduced decode.
        full (Sequence): Per photo, the boxes of the full decode.

    Returns:
        dict: ``boxes_full``, ``boxes_reduced``, ``matched``, ``mean_iou``
        and ``max_shift`` (largest corner difference over the full box's
        longer side) of the matched boxes.
    """
    ious, shifts, matched = [], [], 0
    for ours, theirs in zip(reduced, full):
        if not len(ours) or not len(theirs):
            continue
        ours, theirs = torch.tensor(ours), torch.tensor(theirs)
        overlaps = bbox_overlaps(theirs, ours)
        best, index = overlaps.max(1)
        for box, iou, j in zip(theirs, best, index):
            if iou < 0.5:
                continue
            matched += 1
            ious.append(float(iou))
            side = float((box[2:] - box[:2]).max())
            shifts.append(float((ours[j] - box).abs().max()) / side)
    return dict(
        boxes_full=sum(len(b) for b in full),
        boxes_reduced=sum(len(b) for b in reduced), matched=matched,
        mean_iou=round(float(np.mean(ious)), 4) if ious else None,
        max_shift=round(max(shifts), 4) if shifts else None)


def _peak_rss_mb() -> float:
    """This process's peak RSS in MB: the kernel's ``VmHWM``, the high-water
    mark of this process's own memory. Not ``ru_maxrss``: after a fork (or
    vfork) and exec it starts at the *parent's* peak, so every spawned
    search would report at least this script's own (photos, torch)."""
    try:
        with open('/proc/self/status') as status:
            for line in status:
                if line.startswith('VmHWM:'):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    # elsewhere: ru_maxrss (KiB on Linux, bytes on macOS)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def in_fresh_process(*args, fresh: bool = True,
                     full_decode: bool = False) -> dict:
    """:func:`search` in a new process (its own peak RSS), or here."""
    if not fresh:
        return search(*args, full_decode=full_decode)
    with ProcessPoolExecutor(1, mp_context=get_context('spawn')) as pool:
        return pool.submit(search, *args,
                           full_decode=full_decode).result()


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a cascade-mode config')
    parser.add_argument('checkpoint', help="checkpoint, or 'none' (random)")
    parser.add_argument('--megapixels', type=float, nargs='+',
                        default=[0.3, 1, 4, 12, 24])
    parser.add_argument('--group', type=int, default=0,
                        help='also a group photo of this many faces')
    parser.add_argument('--wild-upscaled', type=int, default=0,
                        help='also this many wild test photos upscaled, '
                        'with and without max_pyramid_side')
    parser.add_argument('--wild-scale', type=float, default=4.0)
    parser.add_argument('--wild-root',
                        default=os.environ.get('MCFA_WILD_ROOT', DEFAULT_WILD))
    parser.add_argument('--max-pyramid-side', type=int, default=None,
                        help="test_cfg.max_pyramid_side (0: no bound; "
                        "default: the config's)")
    parser.add_argument('--compare-decode', action='store_true',
                        help='also search each photo decoded at full size '
                        'and compare the boxes with the reduced decode')
    parser.add_argument('--same-process', action='store_true',
                        help='search every photo in this process (quick '
                        'checks: peak RSS is then the highest so far)')
    parser.add_argument('--out', default=None, help='JSON results file')
    parser.add_argument('--plot', default=None,
                        help='PNG of time and RSS against megapixels')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    checkpoint = None if args.checkpoint == 'none' else args.checkpoint
    test_cfg = {}
    if args.max_pyramid_side is not None:
        test_cfg['max_pyramid_side'] = args.max_pyramid_side or None
    # the settings in force: the cascade's defaults, the config's, ours
    in_force = {**CASCADE_DEFAULTS,
                **Config.fromfile(args.config).model.get('test_cfg', {}),
                **test_cfg}
    report: Dict = dict(
        machine=machine_info(), config=args.config,
        checkpoint=args.checkpoint, test_cfg=in_force, photos=[])
    if checkpoint is None:
        report['warning'] = ('random weights: the times and counts say '
                             'nothing about a trained model')
    faces = wild_faces(args.wild_root, 64)
    with tempfile.TemporaryDirectory() as tmp:

        def save(name: str, image: np.ndarray) -> str:
            path = osp.join(tmp, f'{name}.jpg')
            cv2.imwrite(path, image, [cv2.IMWRITE_JPEG_QUALITY, 90])
            return path

        run = partial(in_fresh_process, args.config, checkpoint,
                      fresh=not args.same_process)

        def photo(name: str, image: np.ndarray, boxes: np.ndarray) -> dict:
            path = save(name, image)
            result = run([path], [boxes], test_cfg)
            entry = dict(
                name=name, width=image.shape[1], height=image.shape[0],
                megapixels=round(image.shape[0] * image.shape[1] / 1e6, 2),
                faces_placed=len(boxes),
                face_sides=[int(max(b[2] - b[0], b[3] - b[1]))
                            for b in boxes],
                decode_factor=decode_factor(path, in_force),
                seconds=result['seconds'][0],
                peak_rss_mb=result['peak_rss_mb'],
                rss_before_mb=result['rss_before_mb'],
                detections=result['detections'][0],
                placed_found=result['placed_found'][0])
            if args.compare_decode:
                full = run([path], [boxes], test_cfg, full_decode=True)
                entry['full_decode'] = dict(
                    seconds=full['seconds'][0],
                    peak_rss_mb=full['peak_rss_mb'],
                    detections=full['detections'][0],
                    placed_found=full['placed_found'][0])
                entry['box_agreement'] = box_agreement(result['bboxes'],
                                                       full['bboxes'])
            return entry

        for megapixels in args.megapixels:
            report['photos'].append(
                photo(f'{megapixels:g}MP', *large_photo(faces, megapixels)))
        if args.group:
            report['group'] = photo(f'group{args.group}',
                                    *group_photo(faces, args.group))
        if args.wild_upscaled:
            # with the bound and without: faces found, time and peak RSS
            scale = args.wild_scale
            wild = wild_faces(args.wild_root, args.wild_upscaled)
            paths = [
                save(f'wild_{i}', cv2.resize(image, None, fx=scale, fy=scale))
                for i, (image, _) in enumerate(wild)
            ]
            boxes = [box[None] * scale for _, box in wild]
            report['wild_upscaled'] = dict(
                photos=len(paths), scale=scale,
                decode_factors=sorted(
                    {decode_factor(path, in_force) for path in paths}))
            arms = [('bounded', test_cfg, False),
                    ('unbounded', dict(test_cfg, max_pyramid_side=None),
                     False)]
            if args.compare_decode:
                arms.append(('bounded_full_decode', test_cfg, True))
            found_boxes = {}
            for name, cfg, full_decode in arms:
                result = run(paths, boxes, cfg, full_decode=full_decode)
                found_boxes[name] = result['bboxes']
                report['wild_upscaled'][name] = dict(
                    faces_found=sum(result['placed_found']),
                    seconds_mean=round(float(np.mean(result['seconds'])), 3),
                    seconds_max=max(result['seconds']),
                    peak_rss_mb=result['peak_rss_mb'])
            if args.compare_decode:
                report['wild_upscaled']['box_agreement'] = box_agreement(
                    found_boxes['bounded'],
                    found_boxes['bounded_full_decode'])
    if args.plot:
        plot(report, args.plot)
    return write_report(report, args.out)


def plot(report: dict, out: str) -> None:
    """Time and peak RSS against megapixels, one panel each."""
    from matplotlib.figure import Figure
    photos = report['photos']
    megapixels = [p['megapixels'] for p in photos]
    side = report['test_cfg'].get('max_pyramid_side')
    figure = Figure(figsize=(9, 3.5), layout='tight')
    figure.suptitle(f'cascade on large photos (max_pyramid_side={side})')
    axes = figure.subplots(1, 2)
    for axis, key, label in ((axes[0], 'seconds', 'seconds per photo'),
                             (axes[1], 'peak_rss_mb', 'peak RSS (MB)')):
        axis.plot(megapixels, [p[key] for p in photos], 'o-')
        axis.set(xlabel='megapixels', ylabel=label)
        axis.grid(alpha=0.3)
    axes[1].plot(megapixels, [p['rss_before_mb'] for p in photos], '--',
                 color='grey', label='before the photo')
    axes[1].legend()
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    figure.savefig(out, dpi=100)


if __name__ == '__main__':
    main()
