"""MatchedFaceMetric: what AttributeAccuracy and LandmarkNME share."""
import numpy as np
import pytest

from mcfa_mm.evaluation import (AttributeAccuracy, LandmarkNME,
                                MatchedFaceMetric)

METRICS = [AttributeAccuracy, LandmarkNME]


@pytest.mark.parametrize('metric_cls', METRICS)
@pytest.mark.parametrize('kwargs', [
    dict(match_mode='nearest'),
    dict(match_iou=0),
    dict(match_iou=1.5),
])
def test_bad_match_arguments(metric_cls, kwargs):
    with pytest.raises(ValueError, match='match_'):
        metric_cls(**kwargs)


@pytest.mark.parametrize('metric_cls', METRICS)
def test_match_arguments_are_kept(metric_cls):
    metric = metric_cls(match_mode='iou', match_iou=0.7)
    assert isinstance(metric, MatchedFaceMetric)
    assert (metric.match_mode, metric.match_iou) == ('iou', 0.7)


@pytest.mark.parametrize('metric_cls', METRICS)
def test_one_result_per_sample(metric_cls):
    # Samples without labels of the metric's kind still store one entry
    # (None), which distributed collection needs to drop the padding.
    metric = metric_cls()
    metric.process({}, [dict(gt_instances={}, pred_instances={})] * 3)
    assert metric.results == [None, None, None]


class _CountFaces(MatchedFaceMetric):
    """Stores the matches of each sample."""

    def process_sample(self, sample: dict) -> dict:
        boxes = np.asarray(sample['gt_instances']['bboxes'], np.float32)
        return dict(matches=self.match_sample(
            len(boxes), len(sample['pred_instances']['bboxes']), boxes,
            sample['pred_instances']))

    def compute_metrics(self, results: list) -> dict:
        return {}


def test_match_sample_uses_the_match_arguments():
    box, far = [0, 0, 10, 10], [50, 50, 60, 60]
    sample = dict(
        gt_instances=dict(bboxes=[box]),
        pred_instances=dict(bboxes=np.array([far], np.float32)))
    first, iou = _CountFaces(match_mode='first'), _CountFaces(match_mode='iou')
    first.process({}, [sample])
    iou.process({}, [sample])
    assert first.results[0]['matches'].tolist() == [0]
    assert iou.results[0]['matches'].tolist() == [-1]

