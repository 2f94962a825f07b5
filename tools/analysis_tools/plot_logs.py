"""Plot what MMDetection's analyze_logs.py cannot: MCFA's own scalars.

From the ``vis_data/scalars.json`` of every run in ``WORK_DIR`` (joined
across resumes, see :mod:`mcfa_mm.utils.training_logs`), writes when their
data exist: ``dynamic_weights_<stage>.png`` (``DynamicWeightLoggerHook``:
each attribute's weight and the weights' entropy), ``grad_shares.png``
(``TaskGradientShareHook``: each task's share of the gradient at the shared
trunk, logged every N iterations, which analyze_logs.py cannot align) and
``attribute_accuracy.png`` (``attr/acc/<name>`` of the latest test, else
validation). Prints the files written and why others were not, as JSON.
Loss curves are MMDetection's: ``analyze_logs.py plot_curve
WORK_DIR/<timestamp>/vis_data/scalars.json --keys loss l_loss_attr``.
"""
import argparse
import json
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

from matplotlib import colormaps
# figures without pyplot: no backend, no display, nothing left open
from matplotlib.figure import Figure

from mcfa_mm.utils.training_logs import (find_accuracies, load_scalars,
                                         weight_series)


def grad_share_series(records: List[dict]) -> Dict[str, Tuple[list, list]]:
    """``{task: (steps, shares)}`` of the ``grad_share/<task>`` scalars."""
    series: Dict[str, Tuple[list, list]] = {}
    for record in records:
        for key, value in record.items():
            if key.startswith('grad_share/'):
                steps, shares = series.setdefault(key[len('grad_share/'):],
                                                  ([], []))
                steps.append(record['step'])
                shares.append(value)
    return series


def plot_grad_shares(records: List[dict], out_file: str) -> bool:
    """Each task's share of the gradient norm at the shared trunk; False
    when the records hold none."""
    series = grad_share_series(records)
    if not series:
        return False
    fig = Figure(figsize=(6, 3.5), layout='tight')
    ax = fig.subplots()
    for task, (steps, shares) in sorted(series.items()):
        ax.plot(steps, shares, label=task)
    ax.set(ylim=(0, 1), xlabel='iteration', ylabel='share of gradient norm',
           title='which task drives the shared trunk')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.savefig(out_file, dpi=100)
    return True


def plot_dynamic_weights(series: dict, stage: str, out_file: str) -> None:
    """Each attribute's dynamic weight over time (one stage of
    :func:`weight_series`), and their entropy."""
    steps, weights = series['steps'], series['weights']
    num = weights.shape[1]
    marker = '.' if len(steps) < 20 else None
    fig = Figure(figsize=(12, 8), layout='tight')
    ax_w, ax_h = fig.subplots(2, 1, sharex=True,
                              gridspec_kw=dict(height_ratios=(3, 1)))
    styles = ('-', '--', ':', '-.')
    for i, name in enumerate(series['names']):
        # 20 colours x 4 line styles tell 40+ attributes apart.
        ax_w.plot(steps, weights[:, i], color=colormaps['tab20'](i % 20),
                  linestyle=styles[(i // 20) % len(styles)], linewidth=1,
                  marker=marker, label=name)
    ax_w.axhline(1 / num, color='k', linewidth=0.8, linestyle='--')
    ax_w.set(ylabel='weight (batch mean)',
             title=f'dynamic attribute weights, {stage.upper()}_Net '
             f'(dashed: uniform 1/{num})')
    ax_w.legend(fontsize=6, ncol=2, loc='upper left',
                bbox_to_anchor=(1.01, 1.0))
    ax_h.plot(steps, series['entropy'], color='C3', marker=marker)
    ax_h.axhline(math.log(num), color='k', linewidth=0.8, linestyle='--')
    ax_h.set(ylabel='entropy (nats)', xlabel='iteration')
    for ax in (ax_w, ax_h):
        ax.grid(alpha=0.3)
    fig.savefig(out_file, dpi=100, bbox_inches='tight')


def plot_attribute_accuracy(accuracies: Dict[str, float], source: str,
                            out_file: str) -> None:
    """Bar chart of ``{name: accuracy in %}`` (in metric order)."""
    names, values = list(accuracies), list(accuracies.values())
    mean = sum(values) / len(values)
    fig = Figure(figsize=(max(6, 0.3 * len(names) + 2), 4.5), layout='tight')
    ax = fig.subplots()
    ax.bar(range(len(names)), values, color='C0')
    ax.axhline(mean, color='C3', linestyle='--', label=f'mean {mean:.2f}')
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
    ax.set(ylim=(max(0.0, min(values) - 5), min(100.0, max(values) + 2)),
           ylabel='accuracy (%)',
           title=f'per-attribute accuracy ({osp.basename(source)})')
    ax.grid(axis='y', alpha=0.3)
    ax.legend(fontsize=8)
    fig.savefig(out_file, dpi=100)


def plot_work_dir(work_dir: str,
                  out_dir: Optional[str] = None,
                  stage: str = 'l',
                  results: Optional[str] = None) -> dict:
    """Write every plot the work dir has data for (``stage``: that of the
    dynamic weights, or ``'all'``; ``results``: a metrics file to chart
    instead of the latest test's) into ``out_dir`` (``work_dir/plots``).
    Returns the ``files`` written, ``skipped`` (plot: reason) and
    ``plotted`` (plot: the data drawn, as read from the logs)."""
    out_dir = out_dir or osp.join(work_dir, 'plots')
    os.makedirs(out_dir, exist_ok=True)
    written, skipped, plotted = [], {}, {}
    train = load_scalars(work_dir)
    for name, series in sorted(weight_series(train).items()):
        if stage in ('all', name):
            out_file = osp.join(out_dir, f'dynamic_weights_{name}.png')
            plot_dynamic_weights(series, name, out_file)
            written.append(out_file)
            plotted[f'dynamic_weights_{name}'] = series
    if not any(key.startswith('dynamic_weights_') for key in plotted):
        skipped['dynamic_weights'] = (
            f'no dyn_weight/{stage}/<name> scalars (DynamicWeightLoggerHook)')

    out_file = osp.join(out_dir, 'grad_shares.png')
    if plot_grad_shares(train, out_file):
        written.append(out_file)
        plotted['grad_shares'] = grad_share_series(train)
    else:
        skipped['grad_shares'] = 'no grad_share/<task> (TaskGradientShareHook)'

    accuracies, source = find_accuracies(work_dir, 'attr', results)
    if accuracies:
        out_file = osp.join(out_dir, 'attribute_accuracy.png')
        plot_attribute_accuracy(accuracies, source, out_file)
        written.append(out_file)
        plotted['attribute_accuracy'] = accuracies
    else:
        skipped['attribute_accuracy'] = (
            f'no attr/acc/<name> metrics in {results or work_dir}')
    return dict(files=written, skipped=skipped, plotted=plotted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dir', help='the work dir of a run')
    parser.add_argument('--out-dir', help='default: WORK_DIR/plots')
    parser.add_argument('--stage', default='l',
                        help='of the dynamic weights: s, m, l or all')
    parser.add_argument('--results', help='JSON of attr/acc/<name> metrics '
                        '(default: the latest test, else validation)')
    summary = plot_work_dir(**vars(parser.parse_args()))
    summary.pop('plotted')
    print(json.dumps(summary, indent=2))


if __name__ == '__main__':
    main()
