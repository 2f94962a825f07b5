"""Is the training data pipeline fast enough to keep the model busy? (JSON)

Builds a config's ``train_dataloader`` with ``Runner.build_dataloader``
(default: the shipped round-6 model's; data roots from ``$MCFA_*_ROOT``,
default ``../shared/data/*``: run it from the repository root) and
measures in one run, alternating over ``--repeats`` (medians):
``pipeline_samples_per_s`` of iterating the loader alone, per
``--num-workers`` (the first batch, which starts the workers, timed apart as
``first_batch_s``); ``train_samples_per_s`` of ``train_step`` on batches
drawn beforehand; their ``ratio`` (above 1 the pipeline is not the
bottleneck on its own). Loading and training share the cores:
``--end-to-end`` also times training fed by the loader. ``sources``: per
source of the batch mix, its samples and the datasets inside its
``ConcatDataset`` wrappers. Commands and results: docs/study_log.md.
"""
import argparse
import copy
import itertools
import time
from typing import Callable, Dict, List, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

import mcfa_mm  # noqa: F401  (registers the components)
from mcfa_mm.utils.benchmarking import (add_common_args, load_config,
                                        machine_info, median,
                                        start_benchmark, write_report)
from mmdet.registry import MODELS

DEFAULT_CONFIG = ('configs/mcfa/mcfa-recipe_vgg16-w025-128px_bf16_1xb32-8500i_'
                  'celeba-extra-multisource.py')


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
    passed to ``step`` when given; the first batch is timed apart."""
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


def leaf_datasets(dataset) -> list:
    """The datasets inside any ``ConcatDataset`` wrappers of ``dataset``, in
    order (``[dataset]`` when it wraps none)."""
    inner = getattr(dataset, 'datasets', None)
    return [dataset] if inner is None else [
        leaf for child in inner for leaf in leaf_datasets(child)]


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
    cfg = load_config(args.config)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    optim_wrapper = build_optim_wrapper(model,
                                        copy.deepcopy(cfg.optim_wrapper))

    def train_on(batch: dict) -> None:
        model.train_step(batch, optim_wrapper)

    # batches for training from memory (the first one warms up)
    loader, _ = build_loader(cfg, 0, args.batch_size, seed=1)
    batches = list(itertools.islice(loader, args.train_iters + 1))
    train_on(batches.pop(0))
    pipeline: Dict[int, List[dict]] = {n: [] for n in args.num_workers}
    train: List[float] = []
    end_to_end: Dict[int, List[float]] = {n: [] for n in args.num_workers}
    for _ in range(args.repeats):
        for workers in args.num_workers:
            pipeline[workers].append(
                time_pipeline(cfg, workers, args.batch_size, args.batches))
        start = time.perf_counter()
        for batch in batches:
            train_on(batch)
        train.append(sum(len(b['inputs']) for b in batches) /
                     (time.perf_counter() - start))
        for workers in args.num_workers if args.end_to_end else []:
            run = time_pipeline(cfg, workers, args.batch_size,
                                args.train_iters, train_on)
            end_to_end[workers].append(run['samples_per_s'])

    train_rate = median(train)
    dataset = loader.dataset
    # the multi-source set's children are the sampler's sources; each may
    # be a ConcatDataset itself (e.g. two CelebA roots, LFWA + wild)
    sources = getattr(dataset, 'datasets', [dataset])
    report = dict(
        machine=machine_info(),
        args=vars(args),
        config=args.config,
        data_roots={
            k: cfg.get(k)
            for k in ('celeba_root', 'celeba_extra_root', 'lfwa_root',
                      'wild_root')
        },
        dataset=dict(
            train_samples=len(dataset),
            sources=[
                dict(samples=len(source),
                     datasets=[[type(d).__name__, len(d)]
                               for d in leaf_datasets(source)])
                for source in sources
            ],
            batch_size=loader.batch_size),
        train_samples_per_s=round(train_rate, 3),
        train_samples_per_s_repeats=[round(r, 3) for r in train],
        pipeline={})
    for workers, runs in pipeline.items():
        repeats = [round(r['samples_per_s'], 3) for r in runs]
        rate = median([r['samples_per_s'] for r in runs])
        entry = dict(
            pipeline_samples_per_s=round(rate, 3),
            pipeline_samples_per_s_repeats=repeats,
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
