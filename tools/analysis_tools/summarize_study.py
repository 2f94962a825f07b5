"""Merge attribute_study.py runs, tabulate them (mean over seeds), plot them.

Arms of one study are often run separately (one arm or one seed per
process); this joins their JSON files into one, refusing runs whose budget
differs (iterations, batch size, evaluated images), and prints the summary
as JSON and, with ``--markdown``, as the table of docs/study_log.md (where
the commands are). With ``--out-dir`` it also draws, from each arm's first
seed, the per-attribute test accuracies and the dynamic weights of the
arms whose weights move.
"""
import argparse
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import mmengine
import numpy as np
from matplotlib.figure import Figure

from mcfa_mm.utils.training_logs import (attribute_accuracies, load_scalars,
                                         weight_series)

#: (column title, test split, metric key) of the summary table.
COLUMNS = (
    ('CelebA mean acc', 'celeba', 'attr/mean_accuracy'),
    ('CelebA balanced', 'celeba', 'attr/balanced_accuracy'),
    ('LFWA mean acc', 'lfwa', 'attr/mean_accuracy'),
    ('LFWA balanced', 'lfwa', 'attr/balanced_accuracy'),
    ('LFWA NME', 'lfwa', 'landmark/nme'),
    ('wild NME', 'wild', 'landmark/nme'),
)
#: Settings every merged run must share: they define the budget.
BUDGET_KEYS = ('iters', 'batch_size', 'max_eval')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('results', nargs='+',
                        help='JSON files written by attribute_study.py')
    parser.add_argument('--out', default=None, help='merged JSON file')
    parser.add_argument('--markdown', action='store_true',
                        help='also print the summary as a Markdown table')
    parser.add_argument(
        '--attributes', nargs='+', default=(),
        help='also tabulate these attributes (CelebA and LFWA accuracy)')
    parser.add_argument('--arms', nargs='+', default=None,
                        help='arms to report (default: all; bars get '
                        'crowded beyond ~5)')
    parser.add_argument('--out-dir', default=None, help='write plots here')
    parser.add_argument('--split', default='celeba',
                        choices=['celeba', 'lfwa'])
    return parser.parse_args(argv)


def merge_results(runs: List[dict]) -> dict:
    """The first run's settings and majority floor, with the arms (and
    seeds) of all runs; ValueError for runs that differ in a budget
    setting, or that both hold a seed of an arm."""
    merged = {k: v for k, v in runs[0].items() if k not in ('arms', 'seeds')}
    merged['arms'] = {}
    for run in runs:
        for key in BUDGET_KEYS:
            if run.get(key) != merged.get(key):
                raise ValueError(
                    f'cannot merge runs with different {key}: '
                    f'{run.get(key)!r} vs {merged.get(key)!r}')
        for arm, seeds in run['arms'].items():
            target = merged['arms'].setdefault(arm, {})
            for seed, record in seeds.items():
                if seed in target:
                    raise ValueError(f'{arm} {seed} appears in two runs')
                target[seed] = record
    merged['seeds'] = sorted({
        int(seed[len('seed'):])
        for seeds in merged['arms'].values() for seed in seeds
    })
    return merged


def summarize(results: dict,
              attributes: Sequence[str] = ()) -> Dict[str, dict]:
    """Per arm: each table column as the mean and per-seed values, and the
    majority floor; ``attributes`` get CelebA and LFWA columns of their own
    (``'CelebA Bangs'``)."""
    columns = list(COLUMNS) + [(f'{title} {name}', split, f'attr/acc/{name}')
                               for name in attributes
                               for title, split in (('CelebA', 'celeba'),
                                                    ('LFWA', 'lfwa'))]
    summary = {}
    for arm, seeds in results['arms'].items():
        row = dict(seeds=sorted(seeds), train_minutes=round(
            float(np.mean([s['train_seconds'] for s in seeds.values()]))
            / 60, 1))
        for title, split, key in columns:
            values = [
                s['metrics'].get(split, {}).get(key) for s in seeds.values()
            ]
            values = [v for v in values if v is not None]
            row[title] = dict(
                mean=round(float(np.mean(values)), 2) if values else None,
                per_seed=[round(v, 2) for v in values])
        summary[arm] = row
    floor = results['majority_floor']
    summary['majority_floor'] = {
        title: dict(mean=round(_floor_value(floor[split], key), 2),
                    per_seed=[])
        for title, split, key in columns if key.startswith('attr/')
    }
    return summary


def _floor_value(floor: dict, key: str) -> float:
    """The majority predictor's value of an ``attr/...`` metric key."""
    if key.startswith('attr/acc/'):
        return floor['per_attribute'][key[len('attr/acc/'):]]
    return floor[key[len('attr/'):]]


def markdown_table(summary: Dict[str, dict]) -> str:
    """The summary as a Markdown table; several seeds show as ``a / b``."""
    first = next(iter(summary.values()))
    titles = [title for title in first
              if title not in ('seeds', 'train_minutes')]
    lines = [
        '| arm | seeds | ' + ' | '.join(titles) + ' | train min |',
        '|---' * (len(titles) + 3) + '|'
    ]
    for arm, row in summary.items():
        cells = []
        for title in titles:
            cell = row.get(title, {})
            if cell.get('mean') is None:
                cells.append('-')
            elif len(cell['per_seed']) > 1:
                seeds = ' / '.join(f'{v:.2f}' for v in cell['per_seed'])
                cells.append(f"{cell['mean']:.2f} ({seeds})")
            else:
                cells.append(f"{cell['mean']:.2f}")
        seeds = ', '.join(s[len('seed'):] for s in row.get('seeds', []))
        minutes = row.get('train_minutes', '-')
        lines.append(f'| `{arm}` | {seeds or "-"} | ' + ' | '.join(cells) +
                     f' | {minutes} |')
    return '\n'.join(lines)


def select_arms(results: dict, arms: Optional[Sequence[str]]) -> dict:
    """``results`` with only ``arms`` (all when None), in that order."""
    if not arms:
        return results
    unknown = set(arms) - set(results['arms'])
    if unknown:
        raise ValueError(f'arms {sorted(unknown)} not in the results')
    return dict(results, arms={arm: results['arms'][arm] for arm in arms})


def plot_results(results: dict, out_dir: str, split: str = 'celeba') -> dict:
    """Write ``attribute_accuracy_<split>.png`` and, for the arms whose
    weights move (``weight_arms``), ``dynamic_weights_l.png`` (the study
    logs L_Net's); returns the ``files`` written and ``weight_arms``."""
    os.makedirs(out_dir, exist_ok=True)
    first_runs = {arm: next(iter(seeds.values()))
                  for arm, seeds in results['arms'].items()}
    # grouped bars: per-attribute test accuracy of each arm and the floor
    floor = results['majority_floor'][split]['per_attribute']
    series = {arm: attribute_accuracies(run['metrics'][split], 'attr')
              for arm, run in first_runs.items()}
    series['majority'] = floor
    names, width = list(floor), 0.8 / len(series)
    fig = Figure(figsize=(18, 5), layout='tight')
    ax = fig.subplots()
    x = np.arange(len(names))
    for i, (label, values) in enumerate(series.items()):
        ax.bar(x + i * width, [values.get(n, np.nan) for n in names], width,
               label=label)
    ax.set_xticks(x + 0.4 - width / 2, names, rotation=90, fontsize=8)
    ax.set(ylim=(40, 100), ylabel=f'{split} test accuracy (%)')
    ax.legend(ncol=len(series), fontsize=8)
    files = [osp.join(out_dir, f'attribute_accuracy_{split}.png')]
    fig.savefig(files[0], dpi=100)

    # one panel per arm whose weights move: each attribute's weight
    panels = []
    for arm, run in first_runs.items():
        weights = weight_series(load_scalars(run['work_dir'])).get('l')
        if weights is not None and np.ptp(weights['weights']) > 1e-6:
            panels.append((arm, weights))
    if panels:
        fig = Figure(figsize=(6 * len(panels), 4), layout='tight')
        for ax, (arm, weights) in zip(fig.subplots(1, len(panels),
                                                   squeeze=False)[0], panels):
            values = weights['weights']
            order = np.argsort(values[-1])[::-1]
            for k in order:  # label the 4 largest and 2 smallest
                label = weights['names'][k] if (k in order[:4]
                                                or k in order[-2:]) else None
                ax.plot(weights['steps'], values[:, k], lw=1, label=label)
            ax.axhline(1 / values.shape[1], color='k', ls='--', lw=0.8)
            ax.set(title=f'{arm}: L_Net dynamic weights',
                   xlabel='iteration')
            ax.legend(fontsize=7)
        files.append(osp.join(out_dir, 'dynamic_weights_l.png'))
        fig.savefig(files[-1], dpi=100)
    return dict(files=files, weight_arms=[arm for arm, _ in panels])


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    merged = merge_results([mmengine.load(path) for path in args.results])
    if args.out:  # creates the folder
        mmengine.dump(merged, args.out, indent=1)
    merged = select_arms(merged, args.arms)
    summary = summarize(merged, args.attributes)
    print(json.dumps(summary))
    if args.markdown:
        print(markdown_table(summary))
    if args.out_dir:
        print(json.dumps(
            plot_results(merged, args.out_dir, args.split)))
    return summary


if __name__ == '__main__':
    main()
