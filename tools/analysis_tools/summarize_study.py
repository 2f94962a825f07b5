"""Merge attribute_study.py runs and tabulate them (mean over seeds).

Arms of one study are often run separately (one arm or one seed per
process); this joins their JSON files into one, refusing runs whose budget
differs (iterations, batch size, evaluated images), and prints the summary
as JSON and, with ``--markdown``, as the table of docs/benchmarks.md.

Example:
    python tools/analysis_tools/summarize_study.py \
        work_dirs/study_scaled/results_*.json \
        --out docs/study/results.json --markdown
"""
import argparse
import json
from typing import Dict, List, Optional, Sequence

import mmengine
import numpy as np

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
    return parser.parse_args(argv)


def merge_results(runs: List[dict]) -> dict:
    """Join the arms and seeds of several study runs into one.

    Args:
        runs (list[dict]): Results of attribute_study.py.

    Returns:
        dict: The first run's settings and majority floor, with the arms
        (and seeds) of all runs.

    Raises:
        ValueError: When the runs differ in a budget setting, or two runs
            hold the same seed of the same arm.
    """
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
    """Per arm: each table column as the mean and per-seed values.

    Args:
        results (dict): Merged study results.
        attributes (Sequence[str]): Attributes whose CelebA and LFWA
            accuracies get columns of their own (``'CelebA Bangs'``).
    """
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


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    runs = []
    for path in args.results:
        with open(path) as f:
            runs.append(json.load(f))
    merged = merge_results(runs)
    if args.out:  # creates the folder
        mmengine.dump(merged, args.out, indent=1)
    summary = summarize(merged, args.attributes)
    print(json.dumps(summary))
    if args.markdown:
        print(markdown_table(summary))
    return summary


if __name__ == '__main__':
    main()
