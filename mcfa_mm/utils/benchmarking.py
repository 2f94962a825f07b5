"""Timing helpers shared by the benchmarks in tools/analysis_tools/.

The machines these run on are noisy, so arms are interleaved and compared as
ratios measured in the same run.
"""
import argparse
import datetime
import statistics
import time
from contextlib import contextmanager
from typing import (Any, Callable, Dict, Iterator, List, Optional, Sequence,
                    Tuple, Union)

import torch
from mmengine import dump

from mmdet.utils import collect_env


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


def matmul_arm(size: int) -> Callable[[], None]:
    """One ``size x size @ size x size`` fp32 matmul per call."""
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=generator)
    b = torch.randn(size, size, generator=generator)
    out = torch.empty(size, size)
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
