"""mcfa_mm.utils.benchmarking: the helpers the benchmark scripts share."""
import time

import pytest

from mcfa_mm.utils.benchmarking import faces_found, rates, timed_methods


class _Worker:

    def run(self, seconds: float, stage: str) -> str:
        time.sleep(seconds)
        return stage


def test_timed_methods_labels_restores_and_tracks_the_active_call():
    worker = _Worker()
    seen = []
    original = _Worker.run
    with timed_methods([(lambda self, s, stage: stage, _Worker, 'run'),
                        ('instance', worker, 'run')],
                       totals=dict(idle=0.), active=seen) as totals:
        # the instance wrapper calls the class wrapper: both are timed
        assert worker.run(0.02, 'a') == 'a'
        assert _Worker().run(0.01, 'b') == 'b'
        assert seen == []  # nothing left running
    assert totals['idle'] == 0.
    assert totals['a'] >= 0.02 and totals['instance'] >= totals['a']
    assert 0.01 <= totals['b'] < totals['a'] + 0.01
    assert _Worker.run is original and 'run' not in vars(worker)


def test_timed_methods_restores_after_an_error():
    worker = _Worker()
    with pytest.raises(ZeroDivisionError):
        with timed_methods([('x', worker, 'run')]):
            1 / 0
    assert 'run' not in vars(worker)


def test_active_holds_the_running_labels_innermost_last():
    active, snapshots = [], []

    class Probe:

        def outer(self):
            return self.inner()

        def inner(self):
            snapshots.append(list(active))

    probe = Probe()
    with timed_methods([('outer', probe, 'outer'), ('inner', probe, 'inner')],
                       active=active):
        probe.outer()
    assert snapshots == [['outer', 'inner']] and active == []


def test_faces_found_counts_labelled_faces_some_box_overlaps():
    gt = [[0, 0, 10, 10], [20, 20, 30, 30], [50, 50, 60, 60]]
    # IoU with the first face 100/110, with the second 81/100; the third
    # box overlaps the first face again
    boxes = [[0, 0, 10, 11], [21, 21, 30, 30], [0, 0, 9, 9]]
    assert faces_found(gt, boxes) == 2
    assert faces_found(gt, boxes, iou=0.85) == 1
    assert faces_found(gt, []) == 0 and faces_found([], boxes) == 0


def test_rates_are_two_flops_per_mac_against_the_matmul():
    assert rates(1e9, 2.0, 2.0) == dict(gflops=1.0, gflops_ratio=0.5)
    assert rates(1e9, 0.0, 2.0)['gflops'] == 0.0  # a stage that never ran
