"""Helpers shared by the scripts in tools/analysis_tools/: timing, the
report, evaluation on the first images of a split, faces found.

The machines these run on are noisy, so arms are interleaved and compared as
ratios measured in the same run.
"""
import argparse
import datetime
import os
import os.path as osp
import statistics
import time
from contextlib import contextmanager
from typing import (Any, Callable, Dict, Iterator, List, Optional, Sequence,
                    Tuple, Union)

import torch
from mmengine import dump
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.evaluator import Evaluator

from mmdet.registry import DATASETS
from mmdet.structures.bbox import bbox_overlaps
from mmdet.utils import collect_env

#: The checkout holding ``configs/`` (for the benchmarks' default configs).
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_config(path: str) -> Config:
    """The config at ``path``, else at ``path`` in the repository."""
    return Config.fromfile(
        path if osp.exists(path) else osp.join(REPO_ROOT, path))


def machine_info() -> dict:
    """What the numbers were measured on: mmdet's ``collect_env`` (Python,
    GCC, PyTorch and its build, OpenCV, MMEngine, MMDetection, CUDA) plus
    the date, the CPU model and torch's threads."""
    cpu = 'unknown'
    try:
        with open('/proc/cpuinfo') as file:
            cpu = next((line.split(':', 1)[1].strip() for line in file
                        if line.startswith('model name')), cpu)
    except OSError:
        pass
    return dict(
        date=datetime.datetime.now().astimezone().isoformat(
            timespec='seconds'),
        cpu_model=cpu,
        torch_threads=torch.get_num_threads(),
        **collect_env())


def matmul_arm(size: int,
               dtype: torch.dtype = torch.float32) -> Callable[[], None]:
    """One ``size x size @ size x size`` matmul in ``dtype`` per call."""
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=generator).to(dtype)
    b = torch.randn(size, size, generator=generator).to(dtype)
    out = torch.empty(size, size, dtype=dtype)
    return lambda: torch.mm(a, b, out=out)


def timed(fn: Callable[[], object], iters: int) -> float:
    """Seconds per call of ``fn`` over ``iters`` calls."""
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - start) / iters


def interleaved(arms: Dict[str, Callable[[], object]],
                iters: Dict[str, int], repeats: int,
                warmup: int) -> Dict[str, List[float]]:
    """Time every arm ``repeats`` times, alternating arms within a repeat.

    The order rotates from one repeat to the next and reverses every other
    repeat, so that no arm always runs first or right after the same other
    one (e.g. after the cache-flushing matmul).

    Args:
        arms (dict): Name -> callable doing one unit of work.
        iters (dict): Name -> calls per timed block.
        repeats (int): Timed blocks per arm.
        warmup (int): Untimed calls of each arm before the first repeat.

    Returns:
        dict: Name -> seconds per call, one entry per repeat.
    """
    names = list(arms)
    for name in names:
        for _ in range(warmup):
            arms[name]()
    times = {name: [] for name in names}
    for repeat in range(repeats):
        shift = repeat % len(names)
        order = names[shift:] + names[:shift]
        for name in order[::-1] if repeat % 2 else order:
            times[name].append(timed(arms[name], iters[name]))
    return times


def against_matmul(arms: Dict[str, Callable[[], object]], iters: int,
                   args: argparse.Namespace
                   ) -> Tuple[Dict[str, List[float]], float]:
    """:func:`interleaved` with the reference matmul as one more arm.

    Args:
        arms (dict): Name -> callable doing one unit of work.
        iters (int): Calls per timed block of each arm.
        args (argparse.Namespace): The options of :func:`add_common_args`.

    Returns:
        tuple: Seconds per call of each arm and ``'matmul'`` (one entry per
        repeat), and the matmul's GFLOP/s (median).
    """
    arms = dict(arms, matmul=matmul_arm(args.matmul_size))
    times = interleaved(
        arms, {k: args.matmul_iters if k == 'matmul' else iters
               for k in arms}, args.repeats, args.warmup)
    return times, 2 * args.matmul_size**3 / median(times['matmul']) / 1e9


def rates(macs: float, seconds: float, matmul_gflops: float) -> dict:
    """``gflops`` of ``macs`` multiply-accumulates (2 flops each) done in
    ``seconds``, and ``gflops_ratio``: that over the matmul's GFLOP/s."""
    gflops = 2 * macs / seconds / 1e9 if seconds else 0.0
    return dict(gflops=round(gflops, 2),
                gflops_ratio=round(gflops / matmul_gflops, 4))


def median(values: Sequence[float]) -> float:
    """Median as a float."""
    return float(statistics.median(values))


def setup_threads(threads: Optional[int]) -> None:
    """Set torch's intra-op threads when ``threads`` is given."""
    if threads:
        torch.set_num_threads(threads)


def add_common_args(parser: argparse.ArgumentParser, repeats: int = 5,
                    with_matmul: bool = True) -> None:
    """The options every benchmark script takes.

    Args:
        parser (argparse.ArgumentParser): The script's parser.
        repeats (int): Default of ``--repeats``.
        with_matmul (bool): Also ``--warmup`` and the reference matmul's
            ``--matmul-size`` / ``--matmul-iters``.
    """
    parser.add_argument('--repeats', type=int, default=repeats,
                        help='timed blocks per arm (median reported)')
    if with_matmul:
        parser.add_argument('--warmup', type=int, default=1,
                            help='untimed calls of each arm first')
        parser.add_argument('--matmul-size', type=int, default=2048)
        parser.add_argument('--matmul-iters', type=int, default=5)
    parser.add_argument('--threads', type=int, default=None,
                        help='torch threads (default: torch decides)')
    parser.add_argument('--out', default=None, help='also write JSON here')


def start_benchmark(args: argparse.Namespace) -> None:
    """Set the threads and MMDetection's default scope."""
    from mmdet.utils import register_all_modules
    setup_threads(args.threads)
    register_all_modules(init_default_scope=True)


def write_report(report: dict, out: Optional[str] = None) -> dict:
    """Print the report as JSON and, with ``out``, write it there too."""
    print(dump(report, file_format='json', indent=1))
    if out:
        dump(report, out, file_format='json', indent=1)
    return report


@contextmanager
def timed_methods(targets: Sequence[Tuple[Union[str, Callable[..., str]],
                                          Any, str]],
                  totals: Optional[Dict[str, float]] = None,
                  active: Optional[List[str]] = None
                  ) -> Iterator[Dict[str, float]]:
    """Time every call of some methods by wrapping them for a while.

    Args:
        targets (Sequence[tuple]): ``(label, owner, attribute)``: the
            method ``owner.attribute`` (of an instance, or of a class to
            catch the instances it makes inside the timed code) and the
            label its time goes to, or a callable of the call's arguments
            that gives the label.
        totals (dict, optional): Seconds per label to add to.
        active (list, optional): Holds the labels of the calls running,
            innermost last (e.g. for hooks that credit work to a stage).

    Yields:
        dict: Seconds per label, accumulated over the calls.
    """
    totals = {} if totals is None else totals
    saved = []
    for label, owner, attr in targets:

        def wrapper(*args, _call=getattr(owner, attr), _label=label,
                    **kwargs):
            name = _label(*args, **kwargs) if callable(_label) else _label
            if active is not None:
                active.append(name)
            start = time.perf_counter()
            try:
                return _call(*args, **kwargs)
            finally:
                totals[name] = totals.get(name, 0.) + (time.perf_counter() -
                                                       start)
                if active is not None:
                    active.pop()

        saved.append((owner, attr, vars(owner).get(attr), attr
                      in vars(owner)))
        setattr(owner, attr, wrapper)
    try:
        yield totals
    finally:
        for owner, attr, own, had_own in reversed(saved):
            if had_own:
                setattr(owner, attr, own)
            else:
                delattr(owner, attr)


@torch.no_grad()
def evaluate_dataset(model: torch.nn.Module, dataset_cfg: dict,
                     evaluator: Union[dict, List[dict]],
                     count: Optional[int] = None,
                     batch_size: int = 32) -> dict:
    """Metrics of ``model.test_step`` on a dataset, in this process.

    Args:
        model (nn.Module): The model (put in eval mode).
        dataset_cfg (dict): The dataset's config.
        evaluator (dict | list[dict]): The metrics' configs.
        count (int, optional): Evaluate the first ``count`` samples only.
        batch_size (int): Samples per ``test_step``.

    Returns:
        dict: The evaluator's metrics.
    """
    dataset = DATASETS.build(
        dict(dataset_cfg, indices=count) if count else dataset_cfg)
    evaluator = Evaluator(evaluator)
    evaluator.dataset_meta = dataset.metainfo
    model.eval()
    for start in range(0, len(dataset), batch_size):
        batch = pseudo_collate([
            dataset[i]
            for i in range(start, min(start + batch_size, len(dataset)))
        ])
        evaluator.process(model.test_step(batch), batch)
    return evaluator.evaluate(len(dataset))


def default_wild_root() -> str:
    """``$MCFA_WILD_ROOT``, else ``../shared/data/wild`` beside the checkout:
    the in-the-wild layout the benchmarks read by default."""
    return os.environ.get(
        'MCFA_WILD_ROOT', osp.join(REPO_ROOT, '..', 'shared', 'data', 'wild'))


def wild_test_infos(wild_root: str,
                    count: Optional[int] = None) -> List[dict]:
    """Data infos (``img_path``, ``instances`` with ``bbox``) of the first
    ``count`` photos of the wild test split (all when None).

    Raises:
        ValueError: The split has no photo under ``wild_root``.
    """
    dataset = DATASETS.build(
        dict(type='WildFaceDataset', data_root=wild_root, split='test',
             pipeline=[], test_mode=True))
    total = len(dataset) if count is None else min(count, len(dataset))
    if total == 0:
        raise ValueError(f'no test photos under {wild_root}')
    return [dataset.get_data_info(index) for index in range(total)]


def faces_found(gt_boxes: Any, boxes: Any, iou: float = 0.5) -> int:
    """How many of ``gt_boxes`` some box of ``boxes`` overlaps at ``iou``
    or more (both ``(N, 4)`` x1, y1, x2, y2: tensors or arrays)."""
    if len(gt_boxes) == 0 or len(boxes) == 0:
        return 0
    overlaps = bbox_overlaps(torch.as_tensor(gt_boxes, dtype=torch.float32),
                             torch.as_tensor(boxes, dtype=torch.float32))
    return int((overlaps.max(1).values >= iou).sum())
