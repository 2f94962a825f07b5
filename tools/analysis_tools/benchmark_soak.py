"""Soak test: memory stays flat and nothing fails over many photos (JSON).

``photos`` mode runs the whole-photo cascade (:func:`init_face_model` +
:func:`inference_faces`, the shipped model by default) over the wild test
photos (``WildFaceDataset``, ``split='test'``) ``--passes`` times (3) in
this one process, and records after each pass the resident memory
(``rss_mb``, after a garbage collection) and the seconds per photo. Memory
is flat when it grows by at most ``--max-growth`` (5 %) from the end of
pass 2 to the end of pass 3: pass 1 fills caches and allocator pools, a
leak keeps growing after it.

``video`` mode writes a ``--frames``-frame (2,000) video of a few wild
photos drifting across the picture with ``cv2.VideoWriter`` and runs
``tools/demo/video_demo.py`` on it as a subprocess, sampling the demo's
RSS and its progress (the lines of its ``--out-json``) as it goes: the
same flatness test between the ends of the second and the last third of
the frames, and the seconds per frame once the first frame is out.

Examples::

    python tools/analysis_tools/benchmark_soak.py --limit 20 --out soak.json
    python tools/analysis_tools/benchmark_soak.py --mode video --frames 300
"""
import argparse
import gc
import os
import os.path as osp
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

#: The checkout holding ``tools/`` and ``configs/``.
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_WILD = osp.join(REPO_ROOT, '..', 'shared', 'data', 'wild')
VIDEO_DEMO = osp.join(REPO_ROOT, 'tools', 'demo', 'video_demo.py')


def rss_mb(pid: Optional[int] = None,
           key: str = 'VmRSS') -> Optional[float]:
    """Resident memory of a process (this one by default) in MB, from
    ``/proc``: ``VmRSS`` now or ``VmHWM``, its peak (None once the process
    is gone)."""
    try:
        with open(f'/proc/{pid or "self"}/status') as status:
            for line in status:
                if line.startswith(f'{key}:'):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB: ``VmHWM`` (not
    ``ru_maxrss``, which after fork and exec starts at the parent's
    peak)."""
    peak = rss_mb(key='VmHWM')
    if peak is None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return round(peak, 1)


def wild_test_photos(wild_root: str, limit: Optional[int]) -> List[str]:
    """Paths of the wild test split's photos, the first ``limit``."""
    from mcfa_mm.utils.benchmarking import wild_test_infos
    return [info['img_path'] for info in wild_test_infos(wild_root, limit)]


def growth(before: Optional[float], after: Optional[float]
           ) -> Optional[float]:
    """Relative growth from ``before`` to ``after`` (None if unknown)."""
    if not before or after is None:
        return None
    return round(after / before - 1, 4)


def time_stats(seconds: Sequence[float]) -> dict:
    """Mean, median, 95th percentile and max of per-item seconds."""
    if not seconds:
        return {}
    ordered = sorted(seconds)
    return dict(
        mean=round(statistics.fmean(ordered), 4),
        median=round(statistics.median(ordered), 4),
        p95=round(ordered[min(len(ordered) - 1,
                              int(0.95 * len(ordered)))], 4),
        max=round(ordered[-1], 4))


def soak_photos(args: argparse.Namespace) -> dict:
    """The ``photos`` mode: ``args.passes`` passes in this process."""
    import torch

    import mcfa_mm  # noqa: F401  (registers the components)
    from mcfa_mm.apis import inference_faces, init_face_model
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    if args.threads:
        torch.set_num_threads(args.threads)
    paths = wild_test_photos(args.wild_root, args.limit)
    model = init_face_model(args.config, args.checkpoint, mode='cascade')
    inference_faces(model, np.zeros((120, 160, 3), np.uint8))  # warm-up
    gc.collect()
    report = dict(mode='photos', photos=len(paths), passes=[],
                  rss_mb_before=rss_mb())
    for number in range(1, args.passes + 1):
        seconds, faces, errors = [], 0, []
        start = time.perf_counter()
        for path in paths:
            tic = time.perf_counter()
            try:
                faces += len(inference_faces(model, path).pred_instances)
            except Exception as error:  # count, name, go on
                errors.append(f'{path}: {error}'.splitlines()[0])
            seconds.append(time.perf_counter() - tic)
        gc.collect()
        report['passes'].append(dict(
            number=number,
            seconds=round(time.perf_counter() - start, 2),
            seconds_per_photo=time_stats(seconds), faces=faces,
            errors=len(errors), first_errors=errors[:5], rss_mb=rss_mb(),
            peak_rss_mb=peak_rss_mb()))
    rss = [p['rss_mb'] for p in report['passes']]
    report['rss_growth_last_two_passes'] = growth(*rss[-2:]) \
        if len(rss) >= 2 else None
    report['errors'] = sum(p['errors'] for p in report['passes'])
    report['flat'] = (report['rss_growth_last_two_passes'] is not None and
                      report['rss_growth_last_two_passes'] <= args.max_growth)
    return report


def write_video(path: str, photos: Sequence[str], frames: int,
                size: Sequence[int], fps: float = 25.) -> dict:
    """Write ``frames`` frames of ``size`` (w, h): each photo in turn for
    50 frames, scaled to the height and drifting sideways, so that
    consecutive frames differ like a video's do."""
    width, height = size
    side = int(height * 0.8)
    tiles = [cv2.resize(cv2.imread(p), (side, side)) for p in photos]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (width, height))
    if not writer.isOpened():
        raise RuntimeError(f'cv2.VideoWriter cannot write {path}')
    try:
        for index in range(frames):
            frame = np.full((height, width, 3), 90, np.uint8)
            tile = tiles[(index // 50) % len(tiles)]
            x = int((width - side) * (index % 50) / 49)
            y = (height - side) // 2
            frame[y:y + side, x:x + side] = tile
            writer.write(frame)
    finally:
        writer.release()
    return dict(frames=frames, width=width, height=height, fps=fps,
                photos=len(photos), megabytes=round(
                    osp.getsize(path) / 1e6, 1))


def _count_lines(path: str) -> int:
    """Lines written so far to a file (0 while it does not exist)."""
    try:
        with open(path, 'rb') as file:
            return sum(chunk.count(b'\n')
                       for chunk in iter(lambda: file.read(1 << 16), b''))
    except OSError:
        return 0


def soak_video(args: argparse.Namespace) -> dict:
    """The ``video`` mode: the video demo over a generated video, watched
    from outside."""
    photos = wild_test_photos(args.wild_root, args.video_photos)
    work = tempfile.mkdtemp(prefix='soak_video_')
    video = osp.join(work, 'soak.mp4')
    report = dict(mode='video', video=write_video(
        video, photos, args.frames, args.video_size))
    out_json = osp.join(work, 'frames.jsonl')
    command = [sys.executable, VIDEO_DEMO, video, '--out',
               osp.join(work, 'out.mp4'), '--out-json', out_json]
    if args.config:
        command += [args.config] + ([args.checkpoint]
                                    if args.checkpoint else [])
    report['command'] = ' '.join(command)
    samples = []  # (seconds, rss_mb, frames written)
    peak = 0.
    with open(osp.join(work, 'demo.log'), 'wb') as log:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=log, stderr=log,
                                   cwd=REPO_ROOT)
        while process.poll() is None:
            rss = rss_mb(process.pid)
            # VmHWM, a high-water mark, so sampling misses no peak but the
            # very last moments (ru_maxrss of a child would start at ours)
            peak = max(peak, rss_mb(process.pid, 'VmHWM') or 0.)
            if rss is not None:
                samples.append((round(time.perf_counter() - start, 2), rss,
                                _count_lines(out_json)))
            time.sleep(args.sample_every)
        seconds = time.perf_counter() - start
    with open(osp.join(work, 'demo.log'), 'rb') as log:
        tail = log.read()[-2000:].decode('utf-8', 'replace')
    report.update(
        returncode=process.returncode, seconds=round(seconds, 2),
        peak_rss_mb=round(peak, 1), frames_out=_count_lines(out_json),
        samples=len(samples), work_dir=work)
    if process.returncode != 0:
        report['log_tail'] = tail
    report.update(video_progress(samples, args.frames))
    report['flat'] = (report.get('rss_growth_last_two_thirds') is not None
                      and report['rss_growth_last_two_thirds'] <=
                      args.max_growth)
    if not args.keep_video:
        for name in os.listdir(work):
            os.remove(osp.join(work, name))
        os.rmdir(work)
        report.pop('work_dir')
    return report


def video_progress(samples: List[tuple], frames: int) -> dict:
    """Seconds per frame and RSS at the ends of the thirds of the frames,
    from ``(seconds, rss_mb, frames done)`` samples."""
    started = [s for s in samples if s[2] > 0]
    if len(started) < 2:
        return dict(rss_mb_over_time=[s[1] for s in samples][::10])

    def rss_at(fraction: float) -> Optional[float]:
        done = [s for s in samples if s[2] >= fraction * frames]
        return done[0][1] if done else None

    first, last = started[0], started[-1]
    thirds = [rss_at(1 / 3), rss_at(2 / 3), last[1]]
    return dict(
        seconds_per_frame=round(
            (last[0] - first[0]) / max(1, last[2] - first[2]), 4),
        seconds_to_first_frame=first[0],
        rss_mb_at_thirds=thirds,
        rss_growth_last_two_thirds=growth(thirds[1], thirds[2]))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--mode', choices=('photos', 'video', 'both'),
                        default='photos')
    parser.add_argument('--config', default=None,
                        help='config or metafile model name (default: the '
                        'shipped model)')
    parser.add_argument('--checkpoint', default=None)
    parser.add_argument('--wild-root',
                        default=os.environ.get('MCFA_WILD_ROOT', DEFAULT_WILD))
    parser.add_argument('--limit', type=int, default=None,
                        help='use the first N test photos (default: all)')
    parser.add_argument('--passes', type=int, default=3)
    parser.add_argument('--max-growth', type=float, default=0.05,
                        help='largest RSS growth over the last pass (or '
                        'third of the video) that counts as flat')
    parser.add_argument('--frames', type=int, default=2000)
    parser.add_argument('--video-photos', type=int, default=8,
                        help='wild test photos shown in the video')
    parser.add_argument('--video-size', type=int, nargs=2,
                        default=(640, 480), metavar=('W', 'H'))
    parser.add_argument('--sample-every', type=float, default=0.5,
                        help='seconds between RSS samples of the demo')
    parser.add_argument('--keep-video', action='store_true',
                        help='keep the video, the output and the log')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch threads (photos mode)')
    parser.add_argument('--out', default=None, help='also write JSON here')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> Dict:
    args = parse_args(argv)
    if args.passes < 2:
        raise SystemExit('--passes must be at least 2 (flatness compares '
                         'the last two)')
    from mcfa_mm.utils.benchmarking import machine_info, write_report
    report: Dict = dict(machine=machine_info(), model=dict(
        config=args.config or 'shipped', checkpoint=args.checkpoint),
        max_growth=args.max_growth)
    if args.mode in ('photos', 'both'):
        report['photos'] = soak_photos(args)
    if args.mode in ('video', 'both'):
        report['video'] = soak_video(args)
    report['ok'] = all(
        part['flat'] and not part.get('errors') and
        part.get('returncode', 0) == 0
        for key, part in report.items() if key in ('photos', 'video'))
    return write_report(report, args.out)


if __name__ == '__main__':
    sys.exit(0 if main()['ok'] else 1)
