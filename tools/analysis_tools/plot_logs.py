"""Plot what MMDetection's analyze_logs.py cannot: MCFA's own scalars.

Reads the ``vis_data/scalars.json`` of every run in ``WORK_DIR`` (joined
across resumes, see :mod:`mcfa_mm.utils.training_logs`) and the metrics of
the latest ``tools/test.py`` run, and writes, when their data exist:

- ``dynamic_weights_<stage>.png``: each attribute's dynamic weight
  (``dyn_weight/<stage>/<name>`` of ``DynamicWeightLoggerHook``) over the
  iterations, and the weights' entropy;
- ``grad_shares.png``: each task's share of the gradient at the shared
  trunk (``grad_share/<task>`` of ``TaskGradientShareHook``);
- ``attribute_accuracy.png``: per-attribute accuracy (``attr/acc/<name>``)
  of the latest test, else validation.

Prints a JSON object listing the files written and why others were not.
Loss curves are MMDetection's: ``analyze_logs.py plot_curve
WORK_DIR/<timestamp>/vis_data/scalars.json --keys loss l_loss_attr``.

Example::

    python tools/analysis_tools/plot_logs.py work_dirs/mcfa_celeba \
        --out-dir work_dirs/mcfa_celeba/plots
"""
import argparse
import json
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

import matplotlib

matplotlib.use('Agg')  # files only: no display on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402

from mcfa_mm.utils.training_logs import (  # noqa: E402
    find_accuracies, load_scalars, weight_series)


def parse_args() -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dir', help='the work dir of a run')
    parser.add_argument(
        '--out-dir', help='where to write the PNGs (default: WORK_DIR/plots)')
    parser.add_argument(
        '--stage', default='l',
        help='stage whose dynamic weights are plotted (s, m, l or all)')
    parser.add_argument(
        '--results', help='JSON file with attr/acc/<name> metrics (default: '
        'the latest test run, else the last validation in the work dir)')
    parser.add_argument(
        '--metric-prefix', default='attr',
        help='prefix of the per-attribute accuracy keys (<prefix>/acc/<name>)')
    parser.add_argument(
        '--latest-run', action='store_true',
        help='plot the latest timestamp dir only, instead of joining the '
        'runs (resumed trainings)')
    return parser.parse_args()


def grad_share_series(records: List[dict]) -> Dict[str, Tuple[list, list]]:
    """``train/grad_share/<task>`` of :class:`TaskGradientShareHook`.

    Args:
        records (list[dict]): Training records (with ``step``).

    Returns:
        dict: ``{task: (steps, shares)}`` in log order.
    """
    series: Dict[str, Tuple[list, list]] = {}
    for index, record in enumerate(records):
        step = record.get('step', record.get('iter', index))
        for key, value in record.items():
            if key.startswith('grad_share/') and isinstance(
                    value, (int, float)):
                xs, ys = series.setdefault(key.split('/', 1)[1], ([], []))
                xs.append(step)
                ys.append(value)
    return series


def plot_grad_shares(records: List[dict], out_file: str) -> bool:
    """Each task's share of the gradient norm at the shared trunk.

    Args:
        records (list[dict]): Training records (with ``step``).
        out_file (str): The PNG to write.

    Returns:
        bool: Whether anything was plotted.
    """
    series = grad_share_series(records)
    if not series:
        return False
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for task, (xs, ys) in sorted(series.items()):
        ax.plot(xs, ys, label=task)
    ax.set_ylim(0, 1)
    ax.set_xlabel('iteration')
    ax.set_ylabel('share of gradient norm')
    ax.set_title('which task drives the shared trunk')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
    return True


def plot_dynamic_weights(series: dict, stage: str, out_file: str) -> None:
    """Each attribute's dynamic weight over time, and their entropy.

    Args:
        series (dict): One stage of :func:`weight_series`.
        stage (str): The stage name (for the title).
        out_file (str): The PNG to write.
    """
    steps, weights = series['steps'], series['weights']
    num = weights.shape[1]
    marker = '.' if len(steps) < 20 else None
    fig, (ax_w, ax_h) = plt.subplots(
        2, 1, figsize=(12, 8), sharex=True,
        gridspec_kw=dict(height_ratios=(3, 1)))
    cmap, styles = plt.get_cmap('tab20'), ('-', '--', ':', '-.')
    for i, name in enumerate(series['names']):
        # 20 colours x 4 line styles tell 40+ attributes apart.
        ax_w.plot(steps, weights[:, i], color=cmap(i % 20),
                  linestyle=styles[(i // 20) % len(styles)], linewidth=1,
                  marker=marker, label=name)
    ax_w.axhline(1 / num, color='k', linewidth=0.8, linestyle='--')
    ax_w.set_ylabel('weight (batch mean)')
    ax_w.set_title(f'dynamic attribute weights, {stage.upper()}_Net '
                   f'(dashed: uniform 1/{num})')
    ax_w.grid(alpha=0.3)
    ax_w.legend(fontsize=6, ncol=2, loc='upper left',
                bbox_to_anchor=(1.01, 1.0))
    ax_h.plot(steps, series['entropy'], color='C3', marker=marker)
    ax_h.axhline(math.log(num), color='k', linewidth=0.8, linestyle='--')
    ax_h.set_ylabel('entropy (nats)')
    ax_h.set_xlabel('iteration')
    ax_h.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_file, dpi=100, bbox_inches='tight')
    plt.close(fig)


def plot_attribute_accuracy(accuracies: Dict[str, float], source: str,
                            out_file: str) -> bool:
    """Bar chart of the per-attribute accuracies (in metric order).

    Args:
        accuracies (dict[str, float]): ``{name: accuracy in %}``.
        source (str): Where they came from (for the title).
        out_file (str): The PNG to write.

    Returns:
        bool: Whether anything was plotted.
    """
    if not accuracies:
        return False
    names = list(accuracies)
    values = [accuracies[n] for n in names]
    mean = sum(values) / len(values)
    fig, ax = plt.subplots(figsize=(max(6, 0.3 * len(names) + 2), 4.5))
    ax.bar(range(len(names)), values, color='C0')
    ax.axhline(mean, color='C3', linestyle='--', label=f'mean {mean:.2f}')
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=90, fontsize=7)
    low = min(values)
    ax.set_ylim(max(0.0, low - 5), min(100.0, max(values) + 2))
    ax.set_ylabel('accuracy (%)')
    ax.set_title(f'per-attribute accuracy ({osp.basename(source)})')
    ax.grid(axis='y', alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
    return True


def plot_work_dir(work_dir: str,
                  out_dir: Optional[str] = None,
                  stage: str = 'l',
                  results: Optional[str] = None,
                  metric_prefix: str = 'attr',
                  latest_run: bool = False) -> dict:
    """Write every plot the work dir has data for.

    Args:
        work_dir (str): The work dir.
        out_dir (str, optional): Output dir; ``work_dir/plots`` by default.
        stage (str): Stage of the dynamic-weight plot, or ``'all'``.
        results (str, optional): Metrics file for the accuracy chart.
        metric_prefix (str): Prefix of the accuracy keys.
        latest_run (bool): Read the latest run only.

    Returns:
        dict: ``files`` (paths written), ``skipped`` (plot: reason) and
        ``plotted`` (plot: the data drawn, as read from the logs).
    """
    out_dir = out_dir or osp.join(work_dir, 'plots')
    os.makedirs(out_dir, exist_ok=True)
    written, skipped, plotted = [], {}, {}
    train = load_scalars(work_dir, latest_run)

    weights = {
        name: series
        for name, series in sorted(weight_series(train).items())
        if stage in ('all', name)
    }
    for name, series in weights.items():
        out_file = osp.join(out_dir, f'dynamic_weights_{name}.png')
        plot_dynamic_weights(series, name, out_file)
        written.append(out_file)
        plotted[f'dynamic_weights_{name}'] = series
    if not weights:
        skipped['dynamic_weights'] = (
            f'no dyn_weight/{stage}/<name> scalars (DynamicWeightLoggerHook)')

    out_file = osp.join(out_dir, 'grad_shares.png')
    if plot_grad_shares(train, out_file):
        written.append(out_file)
        plotted['grad_shares'] = grad_share_series(train)
    else:
        skipped['grad_shares'] = 'no grad_share/<task> (TaskGradientShareHook)'

    accuracies, source = find_accuracies(work_dir, metric_prefix, results)
    out_file = osp.join(out_dir, 'attribute_accuracy.png')
    if plot_attribute_accuracy(accuracies, source or '', out_file):
        written.append(out_file)
        plotted['attribute_accuracy'] = accuracies
    else:
        skipped['attribute_accuracy'] = (
            f'no {metric_prefix}/acc/<name> metrics found')
    return dict(files=written, skipped=skipped, plotted=plotted)


def main() -> None:
    """Plot and print the JSON summary."""
    args = parse_args()
    summary = plot_work_dir(args.work_dir, args.out_dir, args.stage,
                            args.results, args.metric_prefix, args.latest_run)
    summary.pop('plotted')
    print(json.dumps(summary, indent=2))


if __name__ == '__main__':
    main()
