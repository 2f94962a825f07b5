"""FaceClassificationAccuracy against hand-computed values."""
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mcfa_mm.evaluation import FaceClassificationAccuracy


def make_sample(face_label, score, num_gts=None) -> dict:
    """A crop-mode sample as ``DetDataSample.to_dict()``."""
    metainfo = {} if face_label is None else dict(face_label=face_label)
    sample = DetDataSample(metainfo=metainfo)
    if num_gts is not None:
        gt = InstanceData()
        gt.labels = torch.zeros(num_gts, dtype=torch.long)
        sample.gt_instances = gt
    pred = InstanceData()
    pred.scores = torch.tensor([] if score is None else [score])
    sample.pred_instances = pred
    return sample.to_dict()


def test_hand_computed():
    samples = [
        make_sample(1, 0.9),  # TP
        make_sample(1, 0.3),  # FN
        make_sample(0, 0.6),  # FP
        make_sample(0, 0.1),  # TN
        make_sample(-1, 0.9),  # part face: ignored
        make_sample(None, None, num_gts=0),  # no face, no prediction: TN
    ]
    metric = FaceClassificationAccuracy()
    metric.process({}, samples)
    metrics = metric.evaluate(len(samples))
    assert metrics == pytest.approx({
        'face_cls/accuracy': 60.0,
        'face_cls/precision': 50.0,
        'face_cls/recall': 50.0,
        'face_cls/non_face_recall': 200 / 3,
        'face_cls/num_faces': 2,
        'face_cls/num_non_faces': 3,
    })


def test_threshold_and_defaults():
    samples = [make_sample(1, 0.7), make_sample(None, 0.2, num_gts=1)]
    metric = FaceClassificationAccuracy(threshold=0.8)
    metric.process({}, samples)
    metrics = metric.compute_metrics(metric.results)
    # Both are faces (the second by default: it has a gt face); neither
    # reaches 0.8.
    assert metrics == pytest.approx(
        dict(recall=0.0, num_faces=2, num_non_faces=0))


def test_faces_only_split_reports_recall_only():
    """Without non-faces, "accuracy" would be the face recall and precision
    100 % whatever the model does: only the recall is reported."""
    samples = [make_sample(1, 0.9), make_sample(1, 0.8), make_sample(1, 0.2)]
    metric = FaceClassificationAccuracy()
    metric.process({}, samples)
    metrics = metric.compute_metrics(metric.results)
    assert metrics == pytest.approx(
        dict(recall=200 / 3, num_faces=3, num_non_faces=0))


def test_non_faces_only_split_reports_non_face_recall_only():
    samples = [make_sample(0, 0.9), make_sample(0, 0.1)]
    metric = FaceClassificationAccuracy()
    metric.process({}, samples)
    metrics = metric.compute_metrics(metric.results)
    assert metrics == pytest.approx(
        dict(non_face_recall=50.0, num_faces=0, num_non_faces=2))


def test_no_positive_prediction_has_zero_precision():
    samples = [make_sample(1, 0.1), make_sample(0, 0.2)]
    metric = FaceClassificationAccuracy()
    metric.process({}, samples)
    metrics = metric.compute_metrics(metric.results)
    assert metrics['precision'] == 0 and metrics['accuracy'] == 50.0


def test_bad_threshold():
    with pytest.raises(ValueError):
        FaceClassificationAccuracy(threshold=-0.1)
