"""Plot a work dir's training logs: losses, dynamic weights, accuracies.

Reads what an MMEngine run leaves in ``WORK_DIR``:

- ``<timestamp>/vis_data/scalars.json`` (training and validation scalars,
  one JSON object per line; ``<timestamp>/vis_data/<timestamp>.json`` is
  used when ``scalars.json`` is missing). A resumed training continues in
  a new timestamp dir, so the runs are joined in time order; a run whose
  steps go back (a restart, or a resume from an older checkpoint) replaces
  the history from that step on. ``--latest-run`` reads the latest only;
- ``dynamic_weights.jsonl`` written by ``DynamicWeightLoggerHook`` (appended
  to by every run; joined with the same rule);
- ``<timestamp>/<timestamp>.json``, the metrics of a ``tools/test.py`` run.

and writes, when their data exist:

- ``loss_curves.png``: one panel per task (``{stage}_loss_{task}`` keys),
  a line per stage, plus the total loss;
- ``dynamic_weights_<stage>.png``: each attribute's weight over the
  iterations, and the weights' entropy;
- ``attribute_accuracy.png``: per-attribute accuracy (``attr/acc/<name>``
  keys) of the latest test or validation.

Prints a JSON object listing the files written and why others were not.

Example::

    python tools/analysis_tools/plot_logs.py work_dirs/mcfa_celeba \
        --out-dir work_dirs/mcfa_celeba/plots
"""
import argparse
import glob
import json
import math
import os
import os.path as osp
import re
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

import matplotlib

matplotlib.use('Agg')  # files only: no display on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402

#: ``{stage}_loss_{task}`` keys of MCFAHead, e.g. ``l_loss_attr``.
STAGE_LOSS = re.compile(r'^(?P<stage>[a-z]+)_loss_(?P<task>\w+)$')
#: Keys written by the logger that are neither losses nor metrics.
BOOKKEEPING_KEYS = {
    'step', 'iter', 'epoch', 'lr', 'time', 'data_time', 'memory', 'grad_norm',
    'base_lr'
}
STAGE_ORDER = {'s': 0, 'm': 1, 'l': 2}


def parse_args() -> argparse.Namespace:
    """Command-line arguments.

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(
        description='Plot the logs of an mcfa-mm work dir')
    parser.add_argument('work_dir', help='the work dir of a run')
    parser.add_argument(
        '--out-dir', help='where to write the PNGs (default: WORK_DIR/plots)')
    parser.add_argument(
        '--stage',
        default='l',
        help='stage whose dynamic weights are plotted (s, m, l or all)')
    parser.add_argument(
        '--results',
        help='JSON file with attr/acc/<name> metrics (default: the latest '
        'test run, else the last validation in the work dir)')
    parser.add_argument(
        '--metric-prefix',
        default='attr',
        help='prefix of the per-attribute accuracy keys (<prefix>/acc/<name>)')
    parser.add_argument(
        '--latest-run',
        action='store_true',
        help='plot the losses of the latest timestamp dir only, instead of '
        'joining the runs (resumed trainings)')
    return parser.parse_args()


# --------------------------------------------------------------------------
# Reading


def read_json_records(path: str) -> List[dict]:
    """Records of a JSON-lines file (or of a file holding one JSON object).

    Unreadable lines are skipped: a run killed mid-write leaves half a line.

    Args:
        path (str): The file.

    Returns:
        list[dict]: The records in file order.
    """
    with open(path) as file:
        text = file.read()
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict):
        return [whole]
    records = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def run_dirs(work_dir: str) -> List[str]:
    """Timestamp dirs of MMEngine runs in ``work_dir``, oldest first.

    ``work_dir`` itself counts as a run dir when it has ``vis_data`` (the
    user passed a timestamp dir).
    """
    dirs = [
        path for path in sorted(glob.glob(osp.join(work_dir, '*')))
        if osp.isdir(path) and
        (osp.isdir(osp.join(path, 'vis_data')) or osp.isfile(_run_json(path)))
    ]
    if osp.isdir(osp.join(work_dir, 'vis_data')):
        dirs.append(work_dir)
    # Timestamps (YYYYmmdd_HHMMSS) sort by name; ties broken by mtime.
    return sorted(dirs, key=lambda p: (osp.basename(p), osp.getmtime(p)))


def _run_json(run_dir: str) -> str:
    """``<run>/<run>.json``: the metrics a test run dumps."""
    return osp.join(run_dir, osp.basename(osp.normpath(run_dir)) + '.json')


def scalar_file(run_dir: str) -> Optional[str]:
    """The scalars file of a run: ``scalars.json`` or ``vis_data/*.json``."""
    vis_data = osp.join(run_dir, 'vis_data')
    preferred = osp.join(vis_data, 'scalars.json')
    if osp.isfile(preferred):
        return preferred
    candidates = sorted(glob.glob(osp.join(vis_data, '*.json')))
    candidates = [c for c in candidates if osp.basename(c) != 'config.json']
    return candidates[-1] if candidates else None


def load_scalars(work_dir: str, latest_run: bool = False) -> List[List[dict]]:
    """Scalar records of every run (or of the latest), one list per run.

    Args:
        work_dir (str): The work dir.
        latest_run (bool): Read the latest run only.

    Returns:
        list[list[dict]]: Each run's records in file order, oldest run
        first.
    """
    files = [scalar_file(d) for d in run_dirs(work_dir)]
    files = [f for f in files if f is not None]
    if latest_run:
        files = files[-1:]
    return [read_json_records(path) for path in files]


def join_steps(records: List[dict], key: str = 'step') -> List[dict]:
    """Join records logged over several runs into one history.

    Steps grow within a run. A record whose step is not after the last one
    comes from a run that restarted or resumed from an older checkpoint:
    it replaces the history from its step on.

    Args:
        records (list[dict]): Records in logging order.
        key (str): The step key.

    Returns:
        list[dict]: Records with strictly increasing steps.
    """
    joined: List[dict] = []
    for record in records:
        step = record.get(key)
        if step is None:
            continue
        if joined and step <= joined[-1][key]:
            joined = [r for r in joined if r[key] < step]
        joined.append(record)
    return joined


def split_records(records: List[dict]) -> Tuple[List[dict], List[dict]]:
    """Split scalar records into training and evaluation ones.

    A training record has a loss; an evaluation record has a metric (a key
    that is no loss, no bookkeeping and no dynamic weight).

    Returns:
        tuple[list[dict], list[dict]]: Training and evaluation records.
    """
    train, evaluation = [], []
    for record in records:
        keys = [k for k in record if k not in BOOKKEEPING_KEYS]
        if any('loss' in k for k in keys):
            train.append(record)
        elif any(not k.startswith('dyn_weight/') for k in keys):
            evaluation.append(record)
    return train, evaluation


def attribute_accuracies(record: dict, prefix: str) -> Dict[str, float]:
    """``{name: accuracy}`` from the ``<prefix>/acc/<name>`` keys.

    Also matches keys with a further leading prefix (e.g.
    ``celeba/attr/acc/Smiling`` from a multi-dataset evaluator).
    """
    pattern = re.compile(rf'(?:^|/){re.escape(prefix)}/acc/(?P<name>[^/]+)$')
    accuracies = {}
    for key, value in record.items():
        match = pattern.search(key)
        if match and isinstance(value, (int, float)):
            accuracies[match.group('name')] = float(value)
    return accuracies


def find_accuracies(
        work_dir: str,
        prefix: str,
        results: Optional[str] = None
) -> Tuple[Dict[str, float], Optional[str]]:
    """Per-attribute accuracies of the latest test, else validation.

    Args:
        work_dir (str): The work dir.
        prefix (str): Metric prefix.
        results (str, optional): A JSON (lines) file to read instead.

    Returns:
        tuple: ``{name: accuracy}`` and the file they came from.
    """
    if results is not None:
        candidates = [results]
    else:
        candidates = []
        for run_dir in reversed(run_dirs(work_dir)):
            candidates.append(_run_json(run_dir))
            candidates.append(scalar_file(run_dir))
    for path in candidates:
        if path is None or not osp.isfile(path):
            continue
        for record in reversed(read_json_records(path)):
            accuracies = attribute_accuracies(record, prefix)
            if accuracies:
                return accuracies, path
    return {}, None


def load_dynamic_weights(path: str, stage: str) -> Dict[str, List[dict]]:
    """Records of ``dynamic_weights.jsonl`` per stage, by iteration.

    Every run appends to the file; see :func:`join_steps` for how a resumed
    or restarted run's records replace the earlier ones.

    Args:
        path (str): The JSON-lines file.
        stage (str): A stage name, or ``'all'``.

    Returns:
        dict[str, list[dict]]: ``{stage: records sorted by iter}``.
    """
    by_stage: Dict[str, List[dict]] = defaultdict(list)
    for record in read_json_records(path):
        if 'weights' not in record or 'iter' not in record:
            continue
        if stage != 'all' and record.get('stage') != stage:
            continue
        by_stage[record.get('stage', '?')].append(record)
    return {
        name: join_steps(records, 'iter')
        for name, records in sorted(
            by_stage.items(), key=lambda kv: STAGE_ORDER.get(kv[0], 9))
    }


# --------------------------------------------------------------------------
# Plotting


def plot_losses(records: List[dict], out_file: str) -> bool:
    """Loss curves, one panel per task and one for the total.

    Args:
        records (list[dict]): Training records (with ``step``).
        out_file (str): The PNG to write.

    Returns:
        bool: Whether anything was plotted.
    """
    curves: Dict[str, Dict[str, Tuple[list, list]]] = defaultdict(dict)
    for index, record in enumerate(records):
        step = record.get('step', record.get('iter', index))
        for key, value in record.items():
            if not isinstance(value, (int, float)):
                continue
            match = STAGE_LOSS.match(key)
            if match:
                task, line = match.group('task'), match.group('stage')
            elif key == 'loss':
                task, line = 'total', 'loss'
            else:
                continue
            xs, ys = curves[task].setdefault(line, ([], []))
            xs.append(step)
            ys.append(value)
    if not curves:
        return False
    tasks = sorted(curves, key=lambda t: (t == 'total', t))
    cols = min(3, len(tasks))
    rows = math.ceil(len(tasks) / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(5 * cols, 3.5 * rows), squeeze=False)
    for ax, task in zip(axes.flat, tasks):
        for line in sorted(curves[task], key=lambda s: STAGE_ORDER.get(s, 9)):
            xs, ys = curves[task][line]
            label = f'{line.upper()}_Net' if line in STAGE_ORDER else line
            ax.plot(xs, ys, label=label, marker='.' if len(xs) < 20 else None)
        ax.set_title('total loss' if task == 'total' else f'loss_{task}')
        ax.set_xlabel('iteration')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(tasks):]:
        ax.axis('off')
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
    return True


def plot_dynamic_weights(records: List[dict], stage: str,
                         out_file: str) -> bool:
    """Each attribute's dynamic weight over time, and their entropy.

    Args:
        records (list[dict]): One stage's records, sorted by ``iter``.
        stage (str): The stage name (for the title).
        out_file (str): The PNG to write.

    Returns:
        bool: Whether anything was plotted.
    """
    if not records:
        return False
    num = len(records[-1]['weights'])
    records = [r for r in records if len(r['weights']) == num]
    iters = [r['iter'] for r in records]
    names = records[-1].get('attribute_names') or [
        f'attr_{i}' for i in range(num)
    ]
    fig, (ax_w, ax_h) = plt.subplots(
        2,
        1,
        figsize=(12, 8),
        sharex=True,
        gridspec_kw=dict(height_ratios=(3, 1)))
    cmap = plt.get_cmap('tab20')
    styles = ('-', '--', ':', '-.')
    for i in range(num):
        # 20 colours x 4 line styles tell 40+ attributes apart.
        ax_w.plot(
            iters, [r['weights'][i] for r in records],
            color=cmap(i % 20),
            linestyle=styles[(i // 20) % len(styles)],
            linewidth=1,
            marker='.' if len(iters) < 20 else None,
            label=names[i])
    ax_w.axhline(1 / num, color='k', linewidth=0.8, linestyle='--')
    ax_w.set_ylabel('weight (batch mean)')
    ax_w.set_title(f'dynamic attribute weights, {stage.upper()}_Net '
                   f'(dashed: uniform 1/{num})')
    ax_w.grid(alpha=0.3)
    ax_w.legend(
        fontsize=6, ncol=2, loc='upper left', bbox_to_anchor=(1.01, 1.0))
    ax_h.plot(
        iters, [r.get('entropy', float('nan')) for r in records],
        color='C3',
        marker='.' if len(iters) < 20 else None)
    ax_h.axhline(math.log(num), color='k', linewidth=0.8, linestyle='--')
    ax_h.set_ylabel('entropy (nats)')
    ax_h.set_xlabel('iteration')
    ax_h.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_file, dpi=100, bbox_inches='tight')
    plt.close(fig)
    return True


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
        latest_run (bool): Plot the losses of the latest run only.

    Returns:
        dict: ``files`` (paths written) and ``skipped`` (plot: reason).
    """
    out_dir = out_dir or osp.join(work_dir, 'plots')
    os.makedirs(out_dir, exist_ok=True)
    written, skipped = [], {}

    train = join_steps([
        record for run in load_scalars(work_dir, latest_run)
        for record in split_records(run)[0]
    ])
    out_file = osp.join(out_dir, 'loss_curves.png')
    if plot_losses(train, out_file):
        written.append(out_file)
    else:
        skipped['loss_curves'] = 'no training losses in vis_data scalars'

    weights_file = osp.join(work_dir, 'dynamic_weights.jsonl')
    by_stage = (
        load_dynamic_weights(weights_file, stage)
        if osp.isfile(weights_file) else {})
    for name, records in by_stage.items():
        out_file = osp.join(out_dir, f'dynamic_weights_{name}.png')
        if plot_dynamic_weights(records, name, out_file):
            written.append(out_file)
    if not by_stage:
        skipped['dynamic_weights'] = (f'no {stage!r} records in {weights_file}'
                                      if osp.isfile(weights_file) else
                                      f'{weights_file} not found')

    accuracies, source = find_accuracies(work_dir, metric_prefix, results)
    out_file = osp.join(out_dir, 'attribute_accuracy.png')
    if plot_attribute_accuracy(accuracies, source or '', out_file):
        written.append(out_file)
    else:
        skipped['attribute_accuracy'] = (
            f'no {metric_prefix}/acc/<name> metrics found')
    return dict(files=written, skipped=skipped)


def main() -> None:
    """Plot and print the JSON summary."""
    args = parse_args()
    summary = plot_work_dir(args.work_dir, args.out_dir, args.stage,
                            args.results, args.metric_prefix, args.latest_run)
    print(json.dumps(summary, indent=2))


if __name__ == '__main__':
    main()
