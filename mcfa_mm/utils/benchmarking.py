"""Timing helpers shared by the benchmarks in tools/analysis_tools/.

The machines these run on are noisy, so arms are interleaved and compared as
ratios measured in the same run.
"""
import datetime
import statistics
import time
from typing import Callable, Dict, List, Optional, Sequence

import torch
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
