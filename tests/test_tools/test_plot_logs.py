"""tools/analysis_tools/plot_logs.py on a hand-written work dir: the
curves and bars in its figures are the values the log holds."""
import json
import math
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Tuple

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'plot_logs.py')
NAMES = ['Smiling', 'Male', 'Young', 'Eyeglasses']


@pytest.fixture(scope='module')
def plot_logs(load_tool):
    return load_tool('plot_logs')


@pytest.fixture
def saved_figures(monkeypatch) -> Dict[str, Figure]:
    """Every figure the tool saves, by the path it is saved to, so that a
    test reads what was drawn."""
    figures = {}
    savefig = Figure.savefig

    def record(figure, path, *args, **kwargs):
        figures[str(path)] = figure
        return savefig(figure, path, *args, **kwargs)

    monkeypatch.setattr(Figure, 'savefig', record)
    return figures


def _lines(ax: Axes) -> List[Tuple[str, list, list]]:
    """``(label, x, y)`` of each line of ``ax``, in drawing order (an
    ``axhline``'s x is ``[0, 1]``, in axes units)."""
    return [(line.get_label(), list(line.get_xdata()),
             list(line.get_ydata())) for line in ax.get_lines()]


def _write_lines(path: str, records) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as file:
        for record in records:
            file.write(json.dumps(record) + '\n')


def _weights(step: int) -> list:
    """Weights that differ per step, so the test sees which were read."""
    return [0.4 + step / 1000, 0.3, 0.2, 0.1 - step / 1000]


def _train_record(step: int, weight_stages: str = 'l') -> dict:
    record = dict(lr=0.01, data_time=0.1, time=0.5, step=step, loss=3 / step)
    for stage in 'sml':
        for task in ('cls', 'bbox', 'landmark', 'attr'):
            record[f'{stage}_loss_{task}'] = 1 / step
        record[f'{stage}_face_acc'] = 90.0
        if stage in weight_stages:  # as DynamicWeightLoggerHook(stages=)
            for name, weight in zip(NAMES, _weights(step)):
                record[f'dyn_weight/{stage}/{name}'] = weight
        record[f'dyn_weight/{stage}/entropy'] = math.log(4) - step / 1000
    return record


def _fake_work_dir(root: str) -> str:
    work_dir = osp.join(root, 'work')
    records = [_train_record(step, 'sml') for step in (10, 20, 30)]
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
    # a run resumed from the checkpoint of iteration 10 re-logs 20 (and the
    # last line is half written: the run was killed)
    resumed = osp.join(work_dir, '20240102_100000', 'vis_data',
                       'scalars.json')
    _write_lines(resumed, [_train_record(20, 'sml')])
    with open(resumed, 'a') as file:
        file.write('{"step": 30, "lo')
    return work_dir


def _assert_pngs(paths):
    for path in paths:
        with open(path, 'rb') as file:
            assert file.read(8) == b'\x89PNG\r\n\x1a\n', path


def test_plots_what_the_log_holds(tmp_path, plot_logs, saved_figures):
    work_dir = _fake_work_dir(str(tmp_path))
    summary = plot_logs.plot_work_dir(work_dir)
    names = sorted(osp.basename(p) for p in summary['files'])
    assert names == ['attribute_accuracy.png', 'dynamic_weights_l.png']
    assert all(
        osp.dirname(p) == osp.join(work_dir, 'plots')
        for p in summary['files'])
    _assert_pngs(summary['files'])
    assert sorted(saved_figures) == sorted(summary['files'])
    # the figures draw the log's values: the resumed run's step 20, each
    # attribute's own weights, the entropy, the uniform weight 1/4
    weights_ax, entropy_ax = saved_figures[osp.join(
        work_dir, 'plots', 'dynamic_weights_l.png')].axes
    *curves, uniform = _lines(weights_ax)
    assert [label for label, _, _ in curves] == NAMES
    for i, (_, steps, weights) in enumerate(curves):
        assert steps == [10, 20]
        assert weights == pytest.approx([_weights(10)[i], _weights(20)[i]])
    assert uniform[2] == [0.25, 0.25]
    (_, steps, entropy), (_, _, maximum) = _lines(entropy_ax)
    assert steps == [10, 20]
    assert entropy == pytest.approx([math.log(4) - 0.01, math.log(4) - 0.02])
    assert maximum == pytest.approx([math.log(4)] * 2)
    # one bar per attribute, at its accuracy, and the mean
    (bars_ax, ) = saved_figures[osp.join(work_dir, 'plots',
                                         'attribute_accuracy.png')].axes
    assert [bar.get_height() for bar in bars_ax.patches] == [80, 81, 82, 83]
    assert [t.get_text() for t in bars_ax.get_xticklabels()] == NAMES
    ((_, _, mean), ) = _lines(bars_ax)
    assert mean == [81.5, 81.5]
    assert set(summary['skipped']) == {'grad_shares'}
    # the plotted series are the log's: the resumed run replaced step 20
    # and 30, the older run's 30 is gone, the half line is skipped
    weights = summary['plotted']['dynamic_weights_l']
    assert weights['steps'] == [10, 20]
    assert weights['names'] == NAMES
    np.testing.assert_allclose(weights['weights'],
                               [_weights(10), _weights(20)])
    assert weights['entropy'].tolist() == pytest.approx(
        [math.log(4) - 0.01, math.log(4) - 0.02])
    assert summary['plotted']['attribute_accuracy'] == {
        n: 80 + i for i, n in enumerate(NAMES)}

    summary = plot_logs.plot_work_dir(
        work_dir, out_dir=str(tmp_path / 'all'), stage='all')
    assert sum('dynamic_weights_' in p for p in summary['files']) == 3


def test_stages_that_log_entropy_only_are_not_plotted(tmp_path, plot_logs):
    work_dir = str(tmp_path / 'work')
    _write_lines(osp.join(work_dir, '20240101_000000', 'vis_data',
                          'scalars.json'),
                 [_train_record(step, 'l') for step in (10, 20)])
    summary = plot_logs.plot_work_dir(work_dir, stage='all')
    assert [osp.basename(p) for p in summary['files']
            if 'dynamic' in p] == ['dynamic_weights_l.png']


def test_a_broken_line_inside_the_log_is_an_error(tmp_path):
    from mcfa_mm.utils.training_logs import read_json_records
    path = str(tmp_path / 'scalars.json')
    with open(path, 'w') as file:
        file.write('{"step": 1, "loss": 1}\nnot json\n{"step": 2}\n')
    with pytest.raises(ValueError, match='scalars.json:2'):
        read_json_records(path)


def test_readers(tmp_path, plot_logs):
    work_dir = _fake_work_dir(str(tmp_path))
    assert [r['step'] for r in plot_logs.load_scalars(work_dir)] == [10, 20]
    assert [r['step'] for r in plot_logs.load_scalars(
        work_dir, latest_run=True)] == [20]

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


def test_join_steps():
    from mcfa_mm.utils.training_logs import join_steps

    def steps(*runs):
        records = [
            dict(step=s, run=i) for i, run in enumerate(runs) for s in run
        ]
        return [(r['step'], r['run']) for r in join_steps(records)]

    # resumed at 30: continues
    assert steps([10, 20], [30, 40]) == [(10, 0), (20, 0), (30, 1), (40, 1)]
    # resumed from the checkpoint of 10: the later history is replaced
    assert steps([10, 20, 30], [20, 30]) == [(10, 0), (20, 1), (30, 1)]
    # restarted from scratch: only the new run is left
    assert steps([10, 20, 30], [10]) == [(10, 1)]


def test_empty_work_dir_writes_nothing(tmp_path, plot_logs):
    summary = plot_logs.plot_work_dir(str(tmp_path))
    assert summary['files'] == []
    # each reason names the scalars it looked for
    assert summary['skipped'] == {
        'grad_shares': 'no grad_share/<task> (TaskGradientShareHook)',
        'dynamic_weights': 'no dyn_weight/l/<name> scalars '
        '(DynamicWeightLoggerHook)',
        'attribute_accuracy': f'no attr/acc/<name> metrics in {tmp_path}'
    }


def test_missing_stage_or_results_are_named(tmp_path, plot_logs):
    work_dir = _fake_work_dir(str(tmp_path))
    with open(tmp_path / 'losses.json', 'w') as file:
        json.dump({'loss': 1.0}, file)
    summary = plot_logs.plot_work_dir(
        work_dir, stage='x', results=str(tmp_path / 'losses.json'))
    assert summary['files'] == []
    assert 'no dyn_weight/x/<name> scalars' in summary['skipped'][
        'dynamic_weights']
    assert summary['skipped']['attribute_accuracy'].endswith('losses.json')
    with pytest.raises(FileNotFoundError, match='gone.json'):
        plot_logs.plot_work_dir(work_dir, results=str(tmp_path / 'gone.json'))


def test_command_line_prints_json(tmp_path):
    work_dir = _fake_work_dir(str(tmp_path))
    out_dir = str(tmp_path / 'out')
    result = subprocess.run(
        [sys.executable, SCRIPT, work_dir, '--out-dir', out_dir],
        capture_output=True,
        text=True,
        check=True)
    summary = json.loads(result.stdout)
    assert len(summary['files']) == 2
    _assert_pngs(summary['files'])


def test_grad_shares_are_read_from_the_log_and_plotted(plot_logs, tmp_path,
                                                       saved_figures):
    records = []
    for step, landmark in ((10, 0.2), (20, 0.4), (30, 0.5)):
        record = _train_record(step)
        record['grad_share/landmark'] = landmark
        record['grad_share/attr'] = 1 - landmark
        records.append(record)
    series = plot_logs.grad_share_series(records)
    assert series['landmark'] == ([10, 20, 30], [0.2, 0.4, 0.5])
    assert series['attr'][1] == pytest.approx([0.8, 0.6, 0.5])
    out_file = str(tmp_path / 'shares.png')
    assert plot_logs.plot_grad_shares(records, out_file)
    _assert_pngs([out_file])
    (ax, ) = saved_figures[out_file].axes
    attr, landmark = _lines(ax)  # sorted by task
    assert attr[0] == 'attr' and attr[1] == [10, 20, 30]
    assert attr[2] == pytest.approx([0.8, 0.6, 0.5])
    assert landmark == ('landmark', [10, 20, 30], [0.2, 0.4, 0.5])
    assert not plot_logs.plot_grad_shares([_train_record(10)], out_file)
