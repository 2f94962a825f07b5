"""Does MCFA's design pay off? Train ablation arms on one budget, test all.

Every arm starts from the same config, trains for the same number of
iterations on the same data order (same seed), and is tested on the CelebA,
LFWA and in-the-wild test splits. Prints (and writes) JSON; merge, tabulate
and plot runs with summarize_study.py. Commands and results:
docs/study_log.md.
"""
import argparse
import copy
import json
import os.path as osp
import time
from typing import Dict, List, Optional

import mmengine
import numpy as np
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

import mcfa_mm  # noqa: F401  (registers the components)
from mcfa_mm.evaluation import AttributeAccuracy
from mcfa_mm.utils.benchmarking import evaluate_dataset
from mmdet.registry import DATASETS

#: Config overrides of each arm (merged into ``cfg.model``).
ARMS: Dict[str, dict] = {
    'mcfa': {},
    'mcfa_fac': dict(head=dict(tasks=('attribute', ))),
    'mcfa_fd_fac': dict(head=dict(tasks=('face_cls', 'bbox', 'attribute'))),
    'mcfa_fll_fac': dict(head=dict(tasks=('landmark', 'attribute'))),
    'paper': dict(head=dict(loss_attr=dict(mode='paper'))),
    'equal': dict(head=dict(loss_attr=dict(mode='equal'))),
    'loss_driven': dict(head=dict(loss_attr=dict(mode='loss_driven'))),
    # the plain multi-label classifier: L_Net alone, BCE, attributes only
    'l_net_alone': dict(
        neck=dict(use_cascade=False),
        head=dict(
            tasks=('attribute', ),
            stage_loss_weights=(0.0, 0.0, 1.0),
            loss_attr=dict(mode='equal'))),
}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='base config (CPU-sized)')
    parser.add_argument('--arms', nargs='+', default=list(ARMS),
                        choices=list(ARMS))
    parser.add_argument('--iters', type=int, default=300)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--max-eval', type=int, default=None,
                        help='evaluate on the first N images of each split')
    parser.add_argument('--work-dir', default='work_dirs/attribute_study')
    parser.add_argument('--out', default=None, help='JSON results file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default={},
        help='overrides of the base config, applied before every arm')
    return parser.parse_args(argv)


def arm_config(base: Config, arm: str, args, seed: int) -> Config:
    """The base config with the arm's overrides and the shared budget."""
    cfg = copy.deepcopy(base)
    cfg.merge_from_dict(dict(model=ARMS[arm]))
    cfg.work_dir = osp.join(args.work_dir, f'{arm}_seed{seed}')
    cfg.randomness = dict(seed=seed)
    cfg.train_dataloader.batch_size = args.batch_size
    cfg.train_cfg = dict(
        type='IterBasedTrainLoop', max_iters=args.iters,
        val_interval=args.iters + 1)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.param_scheduler = [
        dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
             end=min(100, args.iters)),
        dict(type='CosineAnnealingLR', T_max=args.iters, eta_min=1e-5,
             by_epoch=False, begin=0, end=args.iters)
    ]
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=args.iters)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=50)
    cfg.custom_hooks = [
        dict(type='DynamicWeightLoggerHook', interval=25, stages=('l', ))
    ]
    return cfg


def test_sets(cfg: Config) -> Dict[str, tuple]:
    """(dataset config, evaluator configs) of each test split."""
    boxed = cfg.boxed_test_pipeline
    return {
        'celeba': (dict(type='CelebADataset', data_root=cfg.celeba_root,
                        split='test', test_mode=True,
                        pipeline=cfg.crop_test_pipeline),
                   [dict(type='AttributeAccuracy')]),
        'lfwa': (dict(type='LFWADataset', data_root=cfg.lfwa_root,
                      split='test', test_mode=True, pipeline=boxed),
                 [dict(type='AttributeAccuracy'), dict(type='LandmarkNME')]),
        'wild': (dict(type='WildFaceDataset', data_root=cfg.wild_root,
                      split='test', test_mode=True, pipeline=boxed),
                 [dict(type='LandmarkNME')]),
    }


def _attribute_rows(dataset_cfg: dict, max_eval=None) -> tuple:
    """(dataset metainfo, (N, d) labels 1 / 0 / -1) of a split's images, in
    the dataset's own order (the first ``max_eval`` when given)."""
    dataset_cfg = dict(dataset_cfg, pipeline=[])
    if max_eval:
        dataset_cfg['indices'] = max_eval
    dataset = DATASETS.build(dataset_cfg)
    rows = [
        dataset.get_data_info(i)['instances'][0]['attributes']
        for i in range(len(dataset))
    ]
    return dataset.metainfo, np.array(rows, dtype=np.int64)


def majority_floor(test_cfg: dict, max_eval=None) -> dict:
    """Scores of predicting each attribute's majority train value (from
    the ``split='train'`` twin of the test dataset ``test_cfg``).

    Scored on the arms' test images (the first ``max_eval``) by their own
    :class:`AttributeAccuracy`, so the balanced accuracy is computed, not
    assumed: 50 % only where the test images hold both values of every
    attribute. Returns ``mean_accuracy``, ``balanced_accuracy`` (%),
    ``per_attribute`` accuracies and ``num_images``.
    """
    _, train = _attribute_rows(dict(test_cfg, split='train', test_mode=False))
    metainfo, test = _attribute_rows(test_cfg, max_eval)
    known = train >= 0
    positive_rate = (train == 1).sum(0) / np.maximum(known.sum(0), 1)
    majority = (positive_rate >= 0.5).astype(np.float32)
    metric = AttributeAccuracy()
    metric.dataset_meta = metainfo
    metric.process({}, [
        dict(gt_instances=dict(attributes=row[None]),
             pred_instances=dict(attribute_scores=majority[None]))
        for row in test
    ])
    scores = metric.compute_metrics(metric.results)
    return dict(
        mean_accuracy=scores['mean_accuracy'],
        balanced_accuracy=scores['balanced_accuracy'],
        per_attribute={name: round(scores[f'acc/{name}'], 2)
                       for name in metainfo['attribute_names']},
        num_images=len(test))


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    base = Config.fromfile(args.config)
    base.merge_from_dict(args.cfg_options)
    results = dict(config=args.config, cfg_options=args.cfg_options,
                   iters=args.iters, max_eval=args.max_eval,
                   batch_size=args.batch_size, seeds=args.seeds, arms={})
    tests = test_sets(base)
    results['majority_floor'] = {
        name: majority_floor(tests[name][0], args.max_eval)
        for name in ('celeba', 'lfwa')
    }
    for arm in args.arms:
        for seed in args.seeds:
            cfg = arm_config(base, arm, args, seed)
            runner = Runner.from_cfg(cfg)
            start = time.time()
            runner.train()
            train_s = time.time() - start
            metrics = {
                name: evaluate_dataset(runner.model, dataset, evaluators,
                                       args.max_eval, batch_size=64)
                for name, (dataset, evaluators) in test_sets(base).items()
            }
            results['arms'].setdefault(arm, {})[f'seed{seed}'] = dict(
                train_seconds=round(train_s, 1), work_dir=cfg.work_dir,
                loss_attr=cfg.model.head.loss_attr.to_dict(), metrics=metrics)
            if args.out:  # creates the folder
                mmengine.dump(results, args.out, indent=1)
    print(json.dumps(results))
    return results


if __name__ == '__main__':
    main()
