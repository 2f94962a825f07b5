"""tools/analysis_tools/plot_logs.py on a hand-written work dir."""
import json
import math
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'plot_logs.py')
NAMES = ['Smiling', 'Male', 'Young', 'Eyeglasses']


@pytest.fixture(scope='module')
def plot_logs(load_tool):
    return load_tool('plot_logs')


def _write_lines(path: str, records) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as file:
        for record in records:
            file.write(json.dumps(record) + '\n')


def _train_record(step: int) -> dict:
    record = dict(lr=0.01, data_time=0.1, time=0.5, step=step, loss=3 / step)
    for stage in 'sml':
        for task in ('cls', 'bbox', 'landmark', 'attr'):
            record[f'{stage}_loss_{task}'] = 1 / step
        record[f'{stage}_face_acc'] = 90.0
        record[f'dyn_weight/{stage}/entropy'] = math.log(4)
    return record


def _fake_work_dir(root: str) -> str:
    work_dir = osp.join(root, 'work')
    records = [_train_record(step) for step in (10, 20, 30)]
    records.insert(
        2, {
            **{
                f'attr/acc/{n}': 80 + i
                for i, n in enumerate(NAMES)
            },
            'attr/mean_accuracy': 81.5,
            'data_time': 0.01,
            'time': 0.1,
            'step': 20,
        })
    # an older run that the latest restarted from scratch: replaced
    _write_lines(
        osp.join(work_dir, '20240101_000000', 'vis_data', 'scalars.json'),
        [dict(step=step, loss=99.0) for step in (10, 20, 30, 40)])
    _write_lines(
        osp.join(work_dir, '20240102_000000', 'vis_data', 'scalars.json'),
        records)
    weights = []
    # a run resumed from the checkpoint of iteration 10 re-logs 20
    for step in (10, 20, 30, 20):
        for stage in 'sml':
            weights.append(
                dict(
                    iter=step,
                    stage=stage,
                    weights=[0.4, 0.3, 0.2, 0.1],
                    entropy=1.28,
                    attribute_names=NAMES))
    _write_lines(osp.join(work_dir, 'dynamic_weights.jsonl'), weights)
    return work_dir


def _assert_pngs(paths):
    for path in paths:
        assert path.endswith('.png') and osp.getsize(path) > 1000, path
        with open(path, 'rb') as file:
            assert file.read(8) == b'\x89PNG\r\n\x1a\n'


def test_plots_all_three_kinds(tmp_path, plot_logs):
    work_dir = _fake_work_dir(str(tmp_path))
    summary = plot_logs.plot_work_dir(work_dir)
    names = sorted(osp.basename(p) for p in summary['files'])
    assert names == [
        'attribute_accuracy.png', 'dynamic_weights_l.png', 'loss_curves.png'
    ]
    assert all(
        osp.dirname(p) == osp.join(work_dir, 'plots')
        for p in summary['files'])
    _assert_pngs(summary['files'])
    assert summary['skipped'] == {}

    summary = plot_logs.plot_work_dir(
        work_dir, out_dir=str(tmp_path / 'all'), stage='all')
    assert sum('dynamic_weights_' in p for p in summary['files']) == 3


def test_readers(tmp_path, plot_logs):
    work_dir = _fake_work_dir(str(tmp_path))
    runs = plot_logs.load_scalars(work_dir)
    assert [len(run) for run in runs] == [4, 4]
    train, evaluation = plot_logs.split_records(runs[-1])
    assert [r['step'] for r in train] == [10, 20, 30]
    assert len(evaluation) == 1
    assert len(plot_logs.load_scalars(work_dir, latest_run=True)) == 1

    accuracies, source = plot_logs.find_accuracies(work_dir, 'attr')
    assert accuracies == {n: 80 + i for i, n in enumerate(NAMES)}
    assert source.endswith('scalars.json')

    # a later test run's metrics file wins over the validation record
    test_dir = osp.join(work_dir, '20240103_000000')
    os.makedirs(test_dir)
    with open(osp.join(test_dir, '20240103_000000.json'), 'w') as file:
        json.dump({'celeba/attr/acc/Smiling': 99.0, 'time': 1.0}, file)
    accuracies, source = plot_logs.find_accuracies(work_dir, 'attr')
    assert accuracies == {'Smiling': 99.0}
    assert source.endswith('20240103_000000.json')

    records = plot_logs.load_dynamic_weights(
        osp.join(work_dir, 'dynamic_weights.jsonl'), 'l')
    assert [r['iter'] for r in records['l']] == [10, 20]


def test_join_steps(plot_logs):

    def steps(*runs):
        records = [
            dict(step=s, run=i) for i, run in enumerate(runs) for s in run
        ]
        return [(r['step'], r['run']) for r in plot_logs.join_steps(records)]

    # resumed at 30: continues
    assert steps([10, 20], [30, 40]) == [(10, 0), (20, 0), (30, 1), (40, 1)]
    # resumed from the checkpoint of 10: the later history is replaced
    assert steps([10, 20, 30], [20, 30]) == [(10, 0), (20, 1), (30, 1)]
    # restarted from scratch: only the new run is left
    assert steps([10, 20, 30], [10]) == [(10, 1)]


def test_empty_work_dir_writes_nothing(tmp_path, plot_logs):
    summary = plot_logs.plot_work_dir(str(tmp_path))
    assert summary['files'] == []
    assert set(summary['skipped']) == {
        'loss_curves', 'dynamic_weights', 'attribute_accuracy'
    }


def test_command_line_prints_json(tmp_path):
    work_dir = _fake_work_dir(str(tmp_path))
    out_dir = str(tmp_path / 'out')
    result = subprocess.run(
        [sys.executable, SCRIPT, work_dir, '--out-dir', out_dir],
        capture_output=True,
        text=True,
        check=True)
    summary = json.loads(result.stdout)
    assert len(summary['files']) == 3
    _assert_pngs(summary['files'])
