"""Hostile files, large photos and a soak: time and memory (JSON).

One subcommand each, on the shipped model by default:

- ``hostile``: a 20,000 x 20,000 PNG bomb and a wild test photo upscaled
  to 12 and 48 MP: :func:`~mcfa_mm.utils.read_image` alone on the bomb
  (``loader``) and ``tools/demo/image_demo.py`` as a user runs it
  (``demo``), each in a fresh process, against :data:`TARGETS` (issue 25).
- ``large``: 4:3 photos of ``--megapixels`` with six real wild test faces
  pasted at box sides of 3 to 30 % of the shorter side, each searched in
  cascade mode in a fresh process (decoded reduced to no less than
  ``max_pyramid_side``; ``--compare-decode``: also at full size).
- ``soak``: the cascade over the wild test split ``--passes`` times in this
  process (``--mode photos``) and ``tools/demo/video_demo.py`` on a
  generated ``--frames`` video (``video``). ``flat``: RSS grows by at most
  ``--max-growth`` from the end of pass 2 to the end of the last (of the
  second third of the frames to the last): the first fills caches and
  allocator pools, a leak keeps growing. Exits 1 unless flat, no error.

Peak memory is the kernel's ``VmHWM`` of the measured process, not
``ru_maxrss``, which after a fork and exec starts at the parent's peak.
Commands and results: docs/benchmarks.md.
"""
import argparse
import gc
import json
import math
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from multiprocessing import get_context
from typing import Callable, Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch

import mcfa_mm  # noqa: F401  (registers the components)
from mcfa_mm.apis import inference_faces, init_face_model
from mcfa_mm.apis.inference import decode_limits
from mcfa_mm.testing import write_png_bomb
from mcfa_mm.utils import read_image
from mcfa_mm.utils.benchmarking import (REPO_ROOT, default_wild_root,
                                        faces_found, machine_info,
                                        start_benchmark, wild_test_infos,
                                        write_report)
from mcfa_mm.utils.image_io import read_image_header, reduction_factor
from mmdet.structures.bbox import bbox_overlaps

DEMOS = osp.join(REPO_ROOT, 'tools', 'demo')
#: (seconds, peak MB) each hostile input must stay within.
TARGETS = {'bomb': (1.0, 500), '12MP': (3.0, 1536), '48MP': (6.0, 2048)}
#: ``(width, height)`` of the hostile photos.
PHOTO_SIZES = {'12MP': (4000, 3000), '48MP': (8000, 6000)}
#: Face box sides of a large photo, as fractions of its shorter side.
FACE_FRACTIONS = (0.03, 0.05, 0.08, 0.12, 0.2, 0.3)
#: A face is pasted with this much context: crop side / box side.
CONTEXT = 1.5
# For a fresh interpreter: time read_image on a file; print the seconds,
# the error and the peak memory (VmHWM) before the call.
LOADER_SCRIPT = '''
import json, sys, time
from mcfa_mm.utils import FaceImageError, read_image
with open('/proc/self/status') as status:
    before = [int(line.split()[1]) / 1024 for line in status
              if line.startswith('VmHWM:')][0]
start, error = time.perf_counter(), None
try:
    read_image(sys.argv[1])
except FaceImageError as exc:
    error = str(exc)
print(json.dumps([time.perf_counter() - start, error, before]))
'''


def memory_mb(pid: object = 'self') -> Dict[str, float]:
    """``VmRSS`` (resident) and ``VmHWM`` (its peak) of a process in MB,
    from ``/proc``; empty once the process is gone or a zombie."""
    try:
        with open(f'/proc/{pid}/status') as status:
            fields = [line.split(':', 1) for line in status]
    except OSError:
        return {}
    return {key: round(int(value.split()[0]) / 1024, 1)
            for key, value in fields if key in ('VmRSS', 'VmHWM')}


def run_watched(command: List[str], timeout: float, interval: float = 0.02,
                probe: Optional[Callable[[], object]] = None,
                env: Optional[dict] = None) -> dict:
    """Run ``command`` in the checkout, time-stamping its stdout lines and
    sampling its memory every ``interval`` seconds (and ``probe()``, e.g.
    its progress), killed after ``timeout`` seconds.

    Returns:
        dict: ``returncode``, ``seconds`` (wall), ``peak_rss_mb`` (the last
        ``VmHWM`` read, a high-water mark), ``lines`` (``(seconds,
        text)``), ``samples`` (``(seconds, rss_mb, probe(), hwm_mb)``) and
        ``stderr_tail``.
    """
    samples, start = [], time.perf_counter()
    stderr = tempfile.TemporaryFile()
    process = subprocess.Popen(command, stdout=subprocess.PIPE,
                               stderr=stderr, cwd=REPO_ROOT, env=env)

    def watch() -> None:
        while True:
            memory = memory_mb(process.pid)
            if 'VmHWM' not in memory:  # gone, or a zombie: memory freed
                return
            samples.append((time.perf_counter() - start, memory['VmRSS'],
                            probe() if probe else None, memory['VmHWM']))
            time.sleep(interval)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    killer = threading.Timer(timeout, process.kill)
    killer.start()
    lines = [(time.perf_counter() - start,
              raw.decode('utf-8', 'replace').rstrip('\n'))
             for raw in process.stdout]
    process.stdout.close()
    # stdout closed: the child is exiting; the watcher takes its last
    # reading before the child is reaped
    watcher.join()
    process.wait()
    killer.cancel()
    stderr.seek(0)
    tail = stderr.read()[-1500:].decode('utf-8', 'replace')
    stderr.close()
    return dict(returncode=process.returncode,
                seconds=round(time.perf_counter() - start, 3),
                peak_rss_mb=samples[-1][3] if samples else 0., lines=lines,
                samples=samples, stderr_tail=tail)


def model_args(args: argparse.Namespace) -> List[str]:
    """The demos' model arguments (none: the shipped model)."""
    if not args.config:
        return []
    return [args.config] + ([args.checkpoint] if args.checkpoint else [])


def save_jpeg(path: str, image: np.ndarray) -> int:
    """Write ``image`` as a JPEG of quality 90; returns its bytes."""
    cv2.imwrite(path, image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return osp.getsize(path)


def image_shape(path: str) -> tuple:
    """``(height, width)`` from the file's header (``(0, 0)`` if it has
    none that Pillow reads)."""
    with open(path, 'rb') as file:
        header = read_image_header(file.read())
    return header.shape if header else (0, 0)


def judge(name: str, seconds: Optional[float], memory: float) -> dict:
    """Whether a hostile input meets its target in wall seconds and MB."""
    max_seconds, max_mb = TARGETS[name]
    return dict(target_seconds=max_seconds, target_mb=max_mb,
                meets=seconds is not None and seconds <= max_seconds
                and memory <= max_mb)


def image_demo(name: str, paths: Sequence[str], work: str,
               args: argparse.Namespace) -> dict:
    """:func:`run_watched` of the image demo on a folder of ``paths``, as
    ``a_<file>`` and ``b_<file>`` (the demo's order)."""
    folder = osp.join(work, f'demo_{name}')
    os.makedirs(folder)
    for prefix, path in zip('ab', paths):
        os.symlink(path, osp.join(folder, f'{prefix}_{osp.basename(path)}'))
    return run_watched([
        sys.executable, osp.join(DEMOS, 'image_demo.py'), folder,
        *model_args(args), '--out-dir', osp.join(work, f'out_{name}')
    ], args.timeout)


def demo_entry(name: str, path: str, warmup: str, work: str,
               baseline: dict, args: argparse.Namespace) -> dict:
    """The image demo on ``warmup`` then ``path``: ``seconds`` from its
    output line for the one to its line for the other (start-up excluded),
    ``peak_rss_mb`` the process's and ``peak_over_startup_mb`` that over
    the demo's on ``warmup`` alone (``baseline``), judged against the
    target of ``name``."""
    run = image_demo(name, [warmup, path], work, args)
    label = 'b_' + osp.basename(path)
    times = [next((t for t, text in run['lines'] if key in text), None)
             for key in ('a_' + osp.basename(warmup), label)]
    result = dict(
        returncode=run['returncode'], wall_seconds=run['seconds'],
        peak_rss_mb=run['peak_rss_mb'],
        peak_over_startup_mb=round(
            run['peak_rss_mb'] - baseline['peak_rss_mb'], 1),
        seconds=round(times[1] - times[0], 3) if None not in times else None,
        output=[text for _, text in run['lines'] if label in text][:2])
    if run['returncode'] not in (0, 1):
        result['stderr_tail'] = run['stderr_tail']
    if name == 'bomb':
        result['refused'] = any('max_image_pixels' in line
                                for line in result['output'])
    # the bomb's target is the memory it adds; a photo's the whole peak
    memory = result['peak_over_startup_mb' if name == 'bomb' else
                    'peak_rss_mb']
    result.update(judge(name, result['seconds'], memory))
    return result


def hostile(args: argparse.Namespace) -> dict:
    """The ``hostile`` subcommand (see the module docstring)."""
    report: Dict = dict(model=args.config or 'shipped', inputs={})
    paths = [i['img_path'] for i in wild_test_infos(args.wild_root, 200)]
    # the first 400 x 400 photo (the set's largest size), else the first
    source = next((p for p in paths if min(image_shape(p)) >= 400),
                  paths[0])
    image = cv2.imread(source)
    with tempfile.TemporaryDirectory(prefix='hostile_') as work:
        files = dict(bomb=osp.join(work, 'bomb.png'))
        report['inputs']['bomb'] = dict(width=20_000, height=20_000,
                                        bytes=write_png_bomb(files['bomb']))
        for name, (width, height) in [('warmup', (400, 400))] + [
                (name, PHOTO_SIZES[name]) for name in args.photos]:
            # the centre cut to the aspect ratio, upscaled (cubic)
            rows = min(len(image), round(image.shape[1] * height / width))
            top = (len(image) - rows) // 2
            files[name] = osp.join(work, f'{name}.jpg')
            size = save_jpeg(files[name], cv2.resize(
                image[top:top + rows], (width, height),
                interpolation=cv2.INTER_CUBIC))
            if name != 'warmup':
                report['inputs'][name] = dict(
                    width=width, height=height, bytes=size,
                    source=osp.relpath(source, args.wild_root))
        run = run_watched(
            [sys.executable, '-c', LOADER_SCRIPT, files['bomb']],
            args.timeout, env=dict(os.environ, PYTHONPATH=os.pathsep.join(
                [REPO_ROOT, os.environ.get('PYTHONPATH', '')])))
        loader = dict(peak_rss_mb=run['peak_rss_mb'],
                      returncode=run['returncode'])
        if run['lines']:  # grown_mb: over its memory before the call
            seconds, error, before = json.loads(run['lines'][-1][1])
            loader.update(seconds=round(seconds, 4),
                          refused=error is not None, error=error,
                          rss_before_mb=round(before, 1),
                          grown_mb=round(run['peak_rss_mb'] - before, 1))
        loader.update(judge('bomb', loader.get('seconds'),
                            loader.get('grown_mb', math.inf)))
        report['loader'] = dict(bomb=loader)
        # the demo on the warm-up photo alone: its start-up and memory
        run = image_demo('warmup', [files['warmup']], work, args)
        baseline = dict(
            returncode=run['returncode'], wall_seconds=run['seconds'],
            peak_rss_mb=run['peak_rss_mb'])
        report['demo'] = dict(warmup_only=baseline)
        for name in ['bomb'] + list(args.photos):
            report['demo'][name] = demo_entry(name, files[name],
                                              files['warmup'], work,
                                              baseline, args)
    report['all_met'] = all(
        part['meets'] for part in [loader] + [
            v for k, v in report['demo'].items() if k != 'warmup_only'])
    return report


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
    half = CONTEXT * long_side / 2
    x0, y0 = ((box[:2] + box[2:]) / 2 - half).astype(int)
    crop_side = int(2 * half)
    padded = cv2.copyMakeBorder(image, crop_side, crop_side, crop_side,
                                crop_side, cv2.BORDER_REFLECT)
    crop = padded[y0 + crop_side:y0 + 2 * crop_side,
                  x0 + crop_side:x0 + 2 * crop_side]
    scale = side / long_side
    patch = cv2.resize(crop, (max(1, round(crop_side * scale)), ) * 2)
    return patch, (box - [x0, y0, x0, y0]) * scale


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
    """A 4:3 photo of ``megapixels`` on a smooth random colour field with
    one face per FACE_FRACTIONS, in a row at random heights, and their
    boxes."""
    height = int(round(math.sqrt(megapixels * 1e6 * 3 / 4)))
    width = int(round(height * 4 / 3))
    rng = np.random.RandomState(seed)
    canvas = cv2.resize(rng.randint(40, 220, (6, 8, 3)).astype(np.uint8),
                        (width, height), interpolation=cv2.INTER_CUBIC)
    sides = [max(8, int(f * height)) for f in FACE_FRACTIONS]
    positions, x = [], 0
    gap = (width - sum(int(CONTEXT * s) + 1 for s in sides)) // len(sides)
    for side in sides:
        extent = int(CONTEXT * side) + 1
        positions.append((x, int(rng.randint(0, max(1, height - extent)))))
        x += extent + max(gap, 0)
    chosen = [faces[(seed + i) % len(faces)] for i in range(len(sides))]
    return canvas, paste(canvas, chosen, sides, positions)


def search(config: Optional[str], checkpoint: Optional[str],
           paths: List[str], boxes: Optional[List[np.ndarray]] = None,
           max_side: Optional[int] = None, full_decode: bool = False,
           passes: int = 1, fresh: bool = True) -> dict:
    """The cascade over ``paths``, ``passes`` times, after a warm-up call.

    Args:
        config (str, optional): Config or metafile name (None: shipped).
        checkpoint (str, optional): Its weights (None with a config file:
            random weights).
        paths (list[str]): The photos.
        boxes (list[np.ndarray], optional): The faces placed in each.
        max_side (int, optional): ``max_pyramid_side`` (0: no bound;
            None: the config's).
        full_decode (bool): Search each photo decoded at full size (an
            array) instead of its path (decoded reduced).
        passes (int): Passes over ``paths``.
        fresh (bool): In a new process, so that the peak is its own.

    Returns:
        dict: ``passes``: per photo ``seconds`` (decoding included),
        ``bboxes``, ``placed_found`` (with ``boxes``: faces a box overlaps
        at IoU >= 0.5) and ``errors``, and ``VmRSS`` / ``VmHWM`` in MB
        after the pass (and a garbage collection); ``before`` (the same
        before the first), ``decode_factor`` per photo and the
        ``cascade`` settings.
    """
    if fresh:
        with ProcessPoolExecutor(1, mp_context=get_context('spawn')) as pool:
            return pool.submit(search, config, checkpoint, paths, boxes,
                               max_side, full_decode, passes, False).result()
    torch.manual_seed(0)  # random weights without a checkpoint
    model = init_face_model(config, checkpoint, mode='cascade')
    settings = model.test_cfg['cascade']
    if max_side is not None:
        settings['max_pyramid_side'] = max_side or None
    limit = decode_limits(model.test_cfg, 'cascade')[0]
    inference_faces(model, np.zeros((120, 160, 3), np.uint8))  # warm-up
    gc.collect()
    result = dict(before=memory_mb(), passes=[], decode_factor=[
        reduction_factor(*image_shape(path), limit) for path in paths
    ], cascade=dict(settings))
    for _ in range(passes):
        run: Dict[str, list] = dict(seconds=[], bboxes=[], placed_found=[],
                                    errors=[])
        for index, path in enumerate(paths):
            start = time.perf_counter()
            try:
                found = inference_faces(model, read_image(path) if
                                        full_decode else path).pred_instances
                found = found.bboxes.tolist()
            except Exception as error:  # count, name, go on
                run['errors'].append(f'{path}: {error}'.splitlines()[0])
                found = []
            run['seconds'].append(time.perf_counter() - start)
            run['bboxes'].append(found)
            if boxes is not None:
                run['placed_found'].append(faces_found(boxes[index], found))
        gc.collect()
        result['passes'].append(dict(run, **memory_mb()))
    return result


def box_agreement(reduced: Sequence, full: Sequence) -> dict:
    """How the boxes found on reduced decodes differ from those on full
    ones: per photo each full-decode box matched to the reduced box of
    highest IoU (>= 0.5); ``mean_iou`` and ``max_shift`` (largest corner
    difference over the full box's longer side) of the matched ones."""
    ious, shifts = [], []
    for ours, theirs in zip(reduced, full):
        if len(ours) and len(theirs):
            ours, theirs = torch.tensor(ours), torch.tensor(theirs)
            best, index = bbox_overlaps(theirs, ours).max(1)
            for box, iou, j in zip(theirs, best, index):
                if iou >= 0.5:
                    ious.append(float(iou))
                    shifts.append(float((ours[j] - box).abs().max()) /
                                  float((box[2:] - box[:2]).max()))
    return dict(
        boxes_full=sum(map(len, full)), boxes_reduced=sum(map(len, reduced)),
        matched=len(ious),
        mean_iou=round(statistics.fmean(ious), 4) if ious else None,
        max_shift=round(max(shifts), 4) if shifts else None)


def large(args: argparse.Namespace) -> dict:
    """The ``large`` subcommand (see the module docstring): per photo
    ``seconds``, ``detections``, ``placed_found``, ``peak_rss_mb`` and
    ``rss_before_mb`` (torch and the model) of its search in a fresh
    process (with ``--compare-decode`` also ``full_decode`` and
    ``box_agreement``)."""
    report: Dict = dict(config=args.config or 'shipped',
                        checkpoint=args.checkpoint, photos=[])
    if args.config and not args.checkpoint:
        report['warning'] = ('random weights: the times and counts say '
                             'nothing about a trained model')
    faces = wild_faces(args.wild_root, 64)
    with tempfile.TemporaryDirectory() as tmp:
        for megapixels in args.megapixels:
            image, boxes = large_photo(faces, megapixels)
            path = osp.join(tmp, f'{megapixels:g}MP.jpg')
            save_jpeg(path, image)
            entry = dict(
                name=f'{megapixels:g}MP', width=image.shape[1],
                height=image.shape[0],
                megapixels=round(image.shape[0] * image.shape[1] / 1e6, 2),
                faces_placed=len(boxes),
                face_sides=[int(max(b[2:] - b[:2])) for b in boxes])
            runs = {}
            for full in (False, True)[:1 + args.compare_decode]:
                result = search(args.config, args.checkpoint, [path],
                                [boxes], args.max_pyramid_side, full,
                                fresh=not args.same_process)
                run = runs[full] = result['passes'][0]
                found = dict(seconds=round(run['seconds'][0], 3),
                             peak_rss_mb=run['VmHWM'],
                             detections=len(run['bboxes'][0]),
                             placed_found=run['placed_found'][0])
                if full:
                    entry['full_decode'] = found
                else:
                    report.setdefault('test_cfg', result['cascade'])
                    entry.update(found,
                                 rss_before_mb=result['before']['VmHWM'],
                                 decode_factor=result['decode_factor'][0])
            if args.compare_decode:
                entry['box_agreement'] = box_agreement(runs[False]['bboxes'],
                                                       runs[True]['bboxes'])
            report['photos'].append(entry)
    return report


def growth(before: Optional[float],
           after: Optional[float]) -> Optional[float]:
    """Relative growth from ``before`` to ``after`` (None if unknown)."""
    return round(after / before - 1, 4) if before and after else None


def time_stats(seconds: Sequence[float]) -> dict:
    """Mean, median, 95th percentile and max of per-item seconds."""
    if not seconds:
        return {}
    ordered = sorted(seconds)
    return dict(mean=round(statistics.fmean(ordered), 4),
                median=round(statistics.median(ordered), 4),
                p95=round(ordered[min(len(ordered) - 1,
                                      int(0.95 * len(ordered)))], 4),
                max=round(ordered[-1], 4))


def soak_photos(args: argparse.Namespace) -> dict:
    """``soak --mode photos``: the passes in this process, RSS after each
    (after a garbage collection) and seconds per photo."""
    paths = [i['img_path'] for i in wild_test_infos(args.wild_root,
                                                    args.limit)]
    result = search(args.config, args.checkpoint, paths,
                    passes=args.passes, fresh=False)
    passes = [
        dict(number=number, seconds=round(sum(run['seconds']), 2),
             seconds_per_photo=time_stats(run['seconds']),
             faces=sum(map(len, run['bboxes'])), errors=len(run['errors']),
             first_errors=run['errors'][:5], rss_mb=run['VmRSS'],
             peak_rss_mb=run['VmHWM'])
        for number, run in enumerate(result['passes'], 1)
    ]
    change = growth(*[run['rss_mb'] for run in passes[-2:]])
    return dict(mode='photos', photos=len(paths), passes=passes,
                rss_mb_before=result['before']['VmRSS'],
                rss_growth_last_two_passes=change,
                errors=sum(run['errors'] for run in passes),
                flat=change is not None and change <= args.max_growth)


def write_video(path: str, photos: Sequence[str], frames: int,
                size: Sequence[int], fps: float = 25.) -> dict:
    """Write ``frames`` frames of ``size`` (w, h): each photo in turn for
    50 frames, scaled to 80 % of the height and drifting sideways, so that
    consecutive frames differ like a video's do."""
    width, height = size
    side = int(height * 0.8)
    tiles = [cv2.resize(cv2.imread(p), (side, side)) for p in photos]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (width, height))
    if not writer.isOpened():
        raise RuntimeError(f'cv2.VideoWriter cannot write {path}')
    y = (height - side) // 2
    for index in range(frames):
        frame = np.full((height, width, 3), 90, np.uint8)
        x = int((width - side) * (index % 50) / 49)
        frame[y:y + side, x:x + side] = tiles[(index // 50) % len(tiles)]
        writer.write(frame)
    writer.release()
    return dict(frames=frames, width=width, height=height, fps=fps,
                photos=len(photos),
                megabytes=round(osp.getsize(path) / 1e6, 1))


def count_lines(path: str) -> int:
    """Lines written so far to a file (0 while it does not exist)."""
    try:
        with open(path, 'rb') as file:
            return file.read().count(b'\n')
    except OSError:
        return 0


def soak_video(args: argparse.Namespace) -> dict:
    """``soak --mode video``: the video demo over a generated video,
    sampled from outside: RSS at the ends of the thirds of the frames,
    seconds per frame once the first is out."""
    photos = [i['img_path'] for i in wild_test_infos(args.wild_root,
                                                     args.video_photos)]
    with tempfile.TemporaryDirectory(prefix='soak_video_') as work:
        video, lines = osp.join(work, 'soak.mp4'), osp.join(work, 'f.jsonl')
        report = dict(mode='video', video=write_video(
            video, photos, args.frames, args.video_size))
        command = [sys.executable, osp.join(DEMOS, 'video_demo.py'), video,
                   *model_args(args), '--out', osp.join(work, 'out.mp4'),
                   '--out-json', lines]
        run = run_watched(command, args.timeout, args.sample_every,
                          partial(count_lines, lines))
        report.update(command=' '.join(command),
                      returncode=run['returncode'], seconds=run['seconds'],
                      peak_rss_mb=run['peak_rss_mb'],
                      frames_out=count_lines(lines),
                      samples=len(run['samples']))
    if run['returncode'] != 0:
        report['log_tail'] = run['stderr_tail']
    # (seconds, RSS, frames done) once the first frame is out
    started = [s[:3] for s in run['samples'] if s[2]]
    if len(started) < 2:
        report['rss_mb_over_time'] = [s[1] for s in run['samples']][::10]
    else:
        (first, _, done_first), (last, rss_last, done_last) = started[0], \
            started[-1]
        thirds = [next((s[1] for s in started
                        if s[2] >= part * args.frames), None)
                  for part in (1 / 3, 2 / 3)] + [rss_last]
        report.update(
            seconds_per_frame=round(
                (last - first) / max(1, done_last - done_first), 4),
            seconds_to_first_frame=round(first, 2), rss_mb_at_thirds=thirds,
            rss_growth_last_two_thirds=growth(*thirds[1:]))
    change = report.get('rss_growth_last_two_thirds')
    report['flat'] = change is not None and change <= args.max_growth
    return report


def soak(args: argparse.Namespace) -> dict:
    """The ``soak`` subcommand (see the module docstring)."""
    if args.passes < 2:
        raise SystemExit('--passes must be at least 2 (flatness compares '
                         'the last two)')
    report = dict(model=dict(config=args.config or 'shipped',
                             checkpoint=args.checkpoint),
                  max_growth=args.max_growth)
    if args.mode in ('photos', 'both'):
        report['photos'] = soak_photos(args)
    if args.mode in ('video', 'both'):
        report['video'] = soak_video(args)
    report['ok'] = all(
        part['flat'] and not part.get('errors')
        and part.get('returncode', 0) == 0
        for part in (report.get('photos'), report.get('video')) if part)
    return report


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument('--config', default=None,
                        help='config or metafile model name (default: the '
                        'shipped model)')
    common.add_argument('--checkpoint', default=None,
                        help="the config's weights (none: random weights, "
                        'whose numbers mean nothing)')
    common.add_argument('--wild-root', default=default_wild_root())
    common.add_argument('--timeout', type=float, default=1800,
                        help='seconds before a measured process is killed')
    common.add_argument('--threads', type=int, default=None,
                        help='torch threads of this process')
    common.add_argument('--out', default=None, help='also write JSON here')
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest='command', required=True)
    bad = commands.add_parser('hostile', parents=[common])
    bad.add_argument('--photos', nargs='*', default=list(PHOTO_SIZES),
                     choices=list(PHOTO_SIZES), help='which to run')
    big = commands.add_parser('large', parents=[common])
    big.add_argument('--megapixels', type=float, nargs='+',
                     default=[0.3, 1, 4, 12, 24])
    big.add_argument('--max-pyramid-side', type=int, default=None,
                     help="0: no bound; default: the config's")
    big.add_argument('--compare-decode', action='store_true',
                     help='also search each photo decoded at full size')
    big.add_argument('--same-process', action='store_true',
                     help='search every photo in this process (quick '
                     'checks: peak RSS is then the highest so far)')
    long = commands.add_parser('soak', parents=[common])
    long.add_argument('--mode', choices=('photos', 'video', 'both'),
                      default='photos')
    long.add_argument('--limit', type=int, default=None,
                      help='the first N wild test photos (default: all)')
    long.add_argument('--passes', type=int, default=3)
    long.add_argument('--max-growth', type=float, default=0.05,
                      help='largest RSS growth that counts as flat')
    long.add_argument('--frames', type=int, default=2000)
    long.add_argument('--video-photos', type=int, default=8,
                      help='wild test photos shown in the video')
    long.add_argument('--video-size', type=int, nargs=2, default=(640, 480),
                      metavar=('W', 'H'))
    long.add_argument('--sample-every', type=float, default=0.5,
                      help="seconds between samples of the demo's RSS")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    start_benchmark(args)
    command = dict(hostile=hostile, large=large, soak=soak)[args.command]
    return write_report(dict(machine=machine_info(), **command(args)),
                        args.out)


if __name__ == '__main__':
    sys.exit(0 if main().get('ok', True) else 1)
