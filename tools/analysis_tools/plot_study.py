"""Plots of an attribute_study.py run: per-attribute accuracy of each arm,
and how the dynamic weights of each weighting mode moved during training.

Example:
    python tools/analysis_tools/plot_study.py docs/study/results.json \
        --out-dir docs/study
"""
import argparse
import json
import os
import os.path as osp
from typing import Dict, List, Optional

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mcfa_mm.utils.training_logs import load_scalars, weight_series  # noqa


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('results', help='JSON written by attribute_study.py')
    parser.add_argument('--out-dir', default='docs/study')
    parser.add_argument(
        '--split', default='celeba', choices=['celeba', 'lfwa'])
    parser.add_argument('--stage', default='l', choices=['s', 'm', 'l'])
    parser.add_argument(
        '--arms', nargs='+', default=None,
        help='arms to draw (default: all); bars get crowded beyond ~5')
    return parser.parse_args(argv)


def per_attribute(metrics: dict) -> Dict[str, float]:
    """``attr/acc/<name>`` entries of one test split."""
    prefix = 'attr/acc/'
    return {k[len(prefix):]: v for k, v in metrics.items()
            if k.startswith(prefix)}


def plot_attribute_bars(results: dict, split: str, path: str) -> None:
    """Grouped bars: per-attribute test accuracy of each arm and the floor."""
    arms = {arm: per_attribute(seeds['seed0']['metrics'][split])
            for arm, seeds in results['arms'].items()}
    floor = results['majority_floor'][split]['per_attribute']
    names = list(floor)
    series = dict(arms, majority=floor)
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(18, 5))
    x = np.arange(len(names))
    for i, (label, values) in enumerate(series.items()):
        ax.bar(x + i * width, [values.get(n, np.nan) for n in names], width,
               label=label)
    ax.set_xticks(x + 0.4 - width / 2)
    ax.set_xticklabels(names, rotation=90, fontsize=8)
    ax.set_ylim(40, 100)
    ax.set_ylabel(f'{split} test accuracy (%)')
    ax.legend(ncol=len(series), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_weights(results: dict, stage: str, path: str) -> List[str]:
    """One panel per arm whose weights move: each attribute's weight."""
    panels = []
    for arm, seeds in results['arms'].items():
        series = weight_series(load_scalars(seeds['seed0']['work_dir']))
        if stage not in series:
            continue
        weights = series[stage]['weights']
        if np.ptp(weights) > 1e-6:  # fixed equal weights: nothing to plot
            panels.append((arm, series[stage]['steps'],
                           series[stage]['names'], weights))
    if not panels:
        return []
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4),
                             squeeze=False)
    for ax, (arm, iters, names, weights) in zip(axes[0], panels):
        order = np.argsort(weights[-1])[::-1]
        for k in order:
            label = names[k] if k in order[:4] or k in order[-2:] else None
            ax.plot(iters, weights[:, k], lw=1, label=label)
        ax.axhline(1 / weights.shape[1], color='k', ls='--', lw=0.8)
        ax.set_title(f'{arm}: {stage.upper()}_Net dynamic weights')
        ax.set_xlabel('iteration')
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return [p[0] for p in panels]


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    with open(args.results) as f:
        results = json.load(f)
    if args.arms:
        unknown = set(args.arms) - set(results['arms'])
        if unknown:
            raise ValueError(f'arms {sorted(unknown)} not in {args.results}')
        results['arms'] = {arm: results['arms'][arm] for arm in args.arms}
    os.makedirs(args.out_dir, exist_ok=True)
    bars = osp.join(args.out_dir, f'attribute_accuracy_{args.split}.png')
    plot_attribute_bars(results, args.split, bars)
    weights = osp.join(args.out_dir, f'dynamic_weights_{args.stage}.png')
    arms = plot_weights(results, args.stage, weights)
    files = [bars, weights] if arms else [bars]
    report = dict(files=files, weight_arms=arms)
    print(json.dumps(report))
    return report


if __name__ == '__main__':
    main()
