"""Read the scalars an MMEngine work dir holds, for the plotting tools.

``LoggerHook`` writes every ``train/`` and validation scalar of a run to
``<work_dir>/<timestamp>/vis_data/scalars.json`` (one JSON object per line,
the ``train/`` prefix dropped). A resumed training continues in a new
timestamp dir; :func:`load_scalars` joins the runs into one history.
"""
import glob
import json
import os.path as osp
import re
from typing import Dict, List, Optional, Tuple

import numpy as np

#: ``dyn_weight/{stage}/{attribute}`` of ``DynamicWeightLoggerHook``.
DYN_WEIGHT = re.compile(r'^dyn_weight/(?P<stage>[^/]+)/(?P<name>[^/]+)$')


def read_json_records(path: str) -> List[dict]:
    """Records of a JSON-lines file (or of a file holding one JSON object).

    A run killed mid-write leaves half a line: that last line is skipped.

    Args:
        path (str): The file.

    Returns:
        list[dict]: The records in file order.

    Raises:
        ValueError: For an unreadable line other than the last, naming the
            file and line.
    """
    with open(path) as file:
        text = file.read()
    try:
        whole = json.loads(text)
        if isinstance(whole, dict):
            return [whole]
    except json.JSONDecodeError:
        pass
    lines = text.splitlines()
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as error:
            if number < len(lines):
                raise ValueError(f'{path}:{number}: not JSON ({error})')
    return [r for r in records if isinstance(r, dict)]


def run_json(run_dir: str) -> str:
    """``<run>/<run>.json``: the metrics a ``tools/test.py`` run dumps."""
    return osp.join(run_dir, osp.basename(osp.normpath(run_dir)) + '.json')


def run_dirs(work_dir: str) -> List[str]:
    """Timestamp dirs of MMEngine runs in ``work_dir``, oldest first.

    ``work_dir`` itself counts when it has ``vis_data`` (a timestamp dir).
    """
    dirs = [
        path for path in sorted(glob.glob(osp.join(work_dir, '*')))
        if osp.isdir(osp.join(path, 'vis_data')) or osp.isfile(run_json(path))
    ]
    if osp.isdir(osp.join(work_dir, 'vis_data')):
        dirs.append(work_dir)
    # Timestamps (YYYYmmdd_HHMMSS) sort by name; ties broken by mtime.
    return sorted(dirs, key=lambda p: (osp.basename(p), osp.getmtime(p)))


def scalar_file(run_dir: str) -> Optional[str]:
    """The scalars of a run: ``vis_data/scalars.json``, else
    ``vis_data/<timestamp>.json``, else None."""
    vis_data = osp.join(run_dir, 'vis_data')
    preferred = osp.join(vis_data, 'scalars.json')
    if osp.isfile(preferred):
        return preferred
    candidates = [
        c for c in sorted(glob.glob(osp.join(vis_data, '*.json')))
        if osp.basename(c) != 'config.json'
    ]
    return candidates[-1] if candidates else None


def join_steps(records: List[dict], key: str = 'step') -> List[dict]:
    """Join records logged over several runs into one history.

    A record whose step is not after the last one comes from a run that
    restarted, or resumed from an older checkpoint: it replaces the history
    from its step on.

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


def load_scalars(work_dir: str, latest_run: bool = False) -> List[dict]:
    """The training scalars of every run (or of the latest), joined.

    Validation records (no ``loss``) are left out: they repeat the step of
    the training record before them.

    Args:
        work_dir (str): The work dir.
        latest_run (bool): Read the latest run only.

    Returns:
        list[dict]: Training records with increasing ``step``.
    """
    files = [f for f in map(scalar_file, run_dirs(work_dir)) if f]
    if latest_run:
        files = files[-1:]
    return join_steps([
        record for path in files for record in read_json_records(path)
        if 'loss' in record
    ])


def weight_series(records: List[dict]) -> Dict[str, dict]:
    """Each stage's logged dynamic weights over the iterations.

    Args:
        records (list[dict]): Training records (see :func:`load_scalars`).

    Returns:
        dict: ``{stage: dict(steps, names, weights, entropy)}`` with
        ``weights`` a (T, d) array (attributes in logging order) and
        ``entropy`` a (T,) array; only the records logging all ``d``.
    """
    series: Dict[str, dict] = {}
    for record in records:
        values: Dict[str, Dict[str, float]] = {}
        for key, value in record.items():
            match = DYN_WEIGHT.match(key)
            if match:
                values.setdefault(match['stage'], {})[match['name']] = value
        for stage, named in values.items():
            entropy = named.pop('entropy', float('nan'))
            if not named:
                continue  # this stage logs its entropy only
            entry = series.setdefault(
                stage, dict(steps=[], names=list(named), rows=[], entropy=[]))
            if list(named) != entry['names']:
                continue
            entry['steps'].append(record['step'])
            entry['rows'].append(list(named.values()))
            entry['entropy'].append(entropy)
    return {
        stage: dict(steps=entry['steps'], names=entry['names'],
                    weights=np.array(entry['rows']),
                    entropy=np.array(entry['entropy']))
        for stage, entry in series.items()
    }


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

    Raises:
        FileNotFoundError: ``results`` is given and does not exist.
    """
    if results is not None and not osp.isfile(results):
        raise FileNotFoundError(f'{results}: results file not found')
    candidates = [results] if results is not None else [
        path for run_dir in reversed(run_dirs(work_dir))
        for path in (run_json(run_dir), scalar_file(run_dir))
    ]
    for path in candidates:
        if path is None or not osp.isfile(path):
            continue
        for record in reversed(read_json_records(path)):
            accuracies = attribute_accuracies(record, prefix)
            if accuracies:
                return accuracies, path
    return {}, None


__all__ = [
    'read_json_records', 'run_json', 'run_dirs', 'scalar_file', 'join_steps',
    'load_scalars', 'weight_series', 'attribute_accuracies',
    'find_accuracies'
]
