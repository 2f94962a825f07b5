"""Is the training data pipeline fast enough to keep the model busy? (JSON)

Builds a config's ``train_dataloader`` with MMEngine's
``Runner.build_dataloader`` (default: the CPU-sized model on every source
of ``../shared/data``) and measures, on the same machine and in the same
run, alternating the measurements over ``--repeats`` (medians reported):

- ``pipeline_samples_per_s``: samples/s of iterating the loader alone, for
  each ``--num-workers`` (the first batch, which pays for starting the
  workers, is timed apart as ``first_batch_s``);
- ``train_samples_per_s``: samples/s of the model's ``train_step`` on
  batches drawn from the same loader beforehand (no loading in the loop);
- ``ratio = pipeline / train``: above 1 the pipeline is not the bottleneck
  (on its own: loading and training share the same cores, so with
  ``--end-to-end`` the loader also feeds ``train_step`` in one loop, which is
  what training really gets).

Data roots come from the config (``$MCFA_CELEBA_ROOT``,
``$MCFA_LFWA_ROOT``, ``$MCFA_WILD_ROOT``, default ``../shared/data/*``
relative to the working directory: run it from the repository root).

Example (the final measurement, on a quiet machine)::

    python tools/analysis_tools/benchmark_data_pipeline.py \
        --num-workers 0 1 2 --batches 30 --train-iters 10 --repeats 3 \
        --end-to-end
"""
import argparse
import copy
import os.path as osp
import time
from typing import Callable, Dict, List, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

import mcfa_mm  # noqa: F401  (registers the components)
from mmdet.registry import MODELS

from mcfa_mm.utils.benchmarking import (add_common_args, machine_info,
                                        median, start_benchmark, write_report)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

DEFAULT_CONFIG = ('configs/mcfa/'
                  'mcfa_vgg16-w025-128px_1xb32-8e_celeba-multisource.py')


def build_loader(cfg: Config, num_workers: int, batch_size: Optional[int],
                 seed: int = 0):
    """``Runner.build_dataloader`` of the config's train loader with
    ``num_workers`` (and batch size), and how long building it took."""
    loader = copy.deepcopy(cfg.train_dataloader)
    # persistent workers need workers; with 0 the loader would refuse
    loader.update(num_workers=num_workers, persistent_workers=num_workers > 0)
    if batch_size:
        loader['batch_size'] = batch_size
    start = time.perf_counter()
    loader = Runner.build_dataloader(loader, seed=seed)
    return loader, time.perf_counter() - start


def time_pipeline(cfg: Config, num_workers: int, batch_size: Optional[int],
                  num_batches: int, step: Optional[Callable] = None) -> dict:
    """Samples/s of a fresh loader over ``num_batches`` batches, each
    passed to ``step`` when given (training fed by the loader).

    The first batch, which starts the workers, is timed apart.
    """
    loader, build_s = build_loader(cfg, num_workers, batch_size)
    iterator = iter(loader)
    step = step or (lambda batch: None)
    start = time.perf_counter()
    step(next(iterator))
    first_batch_s = time.perf_counter() - start
    samples = 0
    start = time.perf_counter()
    for _ in range(num_batches):
        batch = next(iterator)
        samples += len(batch['inputs'])
        step(batch)
    elapsed = time.perf_counter() - start
    del iterator, loader  # stops the workers before the next measurement
    return dict(samples_per_s=samples / elapsed, build_s=build_s,
                first_batch_s=first_batch_s, samples=samples)


def fetch_batches(cfg: Config, batch_size: Optional[int],
                  count: int) -> List[dict]:
    """``count`` batches of the train loader, kept in memory."""
    loader, _ = build_loader(cfg, 0, batch_size, seed=1)
    iterator = iter(loader)
    return [next(iterator) for _ in range(count)]


def build_trainer(cfg: Config):
    """The config's model in train mode and its optimizer wrapper."""
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    return model, build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))


def time_train(model, optim_wrapper, batches: List[dict]) -> float:
    """Samples/s of ``train_step`` over batches already in memory."""
    samples = sum(len(b['inputs']) for b in batches)
    start = time.perf_counter()
    for batch in batches:
        model.train_step(batch, optim_wrapper)
    return samples / (time.perf_counter() - start)


def dataset_summary(cfg: Config, batch_size: Optional[int]) -> dict:
    """Size of the train set and of each source."""
    loader, _ = build_loader(cfg, 0, batch_size)
    dataset = loader.dataset
    parts = getattr(dataset, 'datasets', [dataset])
    return dict(
        train_samples=len(dataset),
        sources={type(d).__name__: len(d) for d in parts},
        batch_size=loader.batch_size)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', nargs='?', default=DEFAULT_CONFIG)
    parser.add_argument('--num-workers', type=int, nargs='+',
                        default=[0, 1, 2])
    parser.add_argument('--batch-size', type=int, default=None,
                        help="default: the config's")
    parser.add_argument('--batches', type=int, default=20,
                        help='batches per pipeline measurement')
    parser.add_argument('--train-iters', type=int, default=5,
                        help='train_step calls per measurement')
    parser.add_argument('--end-to-end', action='store_true',
                        help='also train fed by the loader, per workers')
    add_common_args(parser, repeats=3, with_matmul=False)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    start_benchmark(args)
    config = args.config if osp.exists(args.config) else osp.join(
        REPO_ROOT, args.config)
    cfg = Config.fromfile(config)
    model, optim_wrapper = build_trainer(cfg)
    batches = fetch_batches(cfg, args.batch_size, args.train_iters + 1)
    model.train_step(batches[0], optim_wrapper)  # warm up
    batches = batches[1:]

    def train_on(batch: dict) -> None:  # training fed by the loader
        model.train_step(batch, optim_wrapper)

    pipeline: Dict[int, List[dict]] = {n: [] for n in args.num_workers}
    train: List[float] = []
    end_to_end: Dict[int, List[float]] = {n: [] for n in args.num_workers}
    for _ in range(args.repeats):
        for workers in args.num_workers:
            pipeline[workers].append(
                time_pipeline(cfg, workers, args.batch_size, args.batches))
        train.append(time_train(model, optim_wrapper, batches))
        for workers in args.num_workers if args.end_to_end else []:
            run = time_pipeline(cfg, workers, args.batch_size,
                                args.train_iters, train_on)
            end_to_end[workers].append(run['samples_per_s'])

    train_rate = median(train)
    report = dict(
        machine=machine_info(),
        args=vars(args),
        config=args.config,
        data_roots={
            k: cfg.get(k)
            for k in ('celeba_root', 'lfwa_root', 'wild_root')
        },
        dataset=dataset_summary(cfg, args.batch_size),
        train_samples_per_s=round(train_rate, 3),
        train_samples_per_s_repeats=[round(r, 3) for r in train],
        pipeline={})
    for workers, runs in pipeline.items():
        rate = median([r['samples_per_s'] for r in runs])
        entry = dict(
            pipeline_samples_per_s=round(rate, 3),
            pipeline_samples_per_s_repeats=[
                round(r['samples_per_s'], 3) for r in runs
            ],
            ratio=round(rate / train_rate, 4),
            first_batch_s=round(median([r['first_batch_s'] for r in runs]),
                                4),
            loader_build_s=round(median([r['build_s'] for r in runs]), 4))
        if args.end_to_end:
            fed = median(end_to_end[workers])
            entry['end_to_end_samples_per_s'] = round(fed, 3)
            # 1.0: training fed by the loader runs as fast as from memory
            entry['end_to_end_over_train'] = round(fed / train_rate, 4)
        report['pipeline'][f'workers_{workers}'] = entry
    return write_report(report, args.out)


if __name__ == '__main__':
    main()
