"""AttributeAccuracy against hand-computed values."""
import math

import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.structures import InstanceData

from mcfa_mm.evaluation import AttributeAccuracy

NAMES = ('a', 'b', 'c')


def make_sample(gt_attrs, scores, gt_boxes=None, pred_boxes=None) -> dict:
    """A sample as the evaluator hands it over: ``DetDataSample.to_dict()``."""
    sample = DetDataSample()
    gt = InstanceData()
    gt.attributes = torch.as_tensor(gt_attrs, dtype=torch.long).reshape(
        -1, len(NAMES))
    if gt_boxes is not None:
        gt.bboxes = HorizontalBoxes(torch.tensor(gt_boxes, dtype=torch.float))
    sample.gt_instances = gt
    pred = InstanceData()
    pred.attribute_scores = torch.as_tensor(scores, dtype=torch.float).reshape(
        -1, len(NAMES))
    if pred_boxes is not None:
        pred.bboxes = torch.tensor(pred_boxes, dtype=torch.float)
    sample.pred_instances = pred
    return sample.to_dict()


def evaluate(metric, samples, names=NAMES) -> dict:
    metric.dataset_meta = dict(attribute_names=names)
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def three_samples() -> list:
    # pred labels at 0.5 (>= is present): [1,1,0], [0,0,1], [0,1,1]
    return [
        make_sample([[1, 0, -1]], [[0.9, 0.6, 0.2]]),
        make_sample([[0, 0, 1]], [[0.2, 0.1, 0.7]]),
        make_sample([[1, 1, 0]], [[0.4, 0.8, 0.5]]),
    ]


def test_hand_computed():
    metrics = evaluate(AttributeAccuracy(), three_samples())
    # a: 2/3 correct, TPR 1/2, TNR 1 -> 0.75
    # b: 2/3 correct, TPR 1, TNR 1/2 -> 0.75
    # c: -1 ignored, 1/2 correct, TPR 1, TNR 0 -> 0.5
    assert metrics['attr/acc/a'] == pytest.approx(200 / 3)
    assert metrics['attr/acc/b'] == pytest.approx(200 / 3)
    assert metrics['attr/acc/c'] == pytest.approx(50)
    assert metrics['attr/mean_accuracy'] == pytest.approx(
        (2 / 3 + 2 / 3 + 1 / 2) / 3 * 100)
    assert metrics['attr/balanced_accuracy'] == pytest.approx(
        (0.75 + 0.75 + 0.5) / 3 * 100)
    assert metrics['attr/num_samples'] == 3
    assert metrics['attr/num_missed'] == 0


def test_threshold_and_no_per_attribute():
    metric = AttributeAccuracy(threshold=0.65, per_attribute=False)
    metrics = evaluate(metric, three_samples())
    # pred labels: [1,0,0], [0,0,1], [0,1,0] -> a 2/3, b 3/3, c 2/2
    assert metrics['attr/mean_accuracy'] == pytest.approx(
        (2 / 3 + 1 + 1) / 3 * 100)
    assert not any(key.startswith('attr/acc/') for key in metrics)


def test_one_class_attribute_uses_available_rate():
    samples = [
        make_sample([[1, 1, 0]], [[0.9, 0.9, 0.1]]),
        make_sample([[1, 0, 0]], [[0.1, 0.1, 0.9]]),
    ]
    metrics = evaluate(AttributeAccuracy(), samples)
    # a: only positives, TPR 1/2 -> 0.5; b: TPR 1, TNR 1 -> 1;
    # c: only negatives, TNR 1/2 -> 0.5
    assert metrics['attr/balanced_accuracy'] == pytest.approx(200 / 3)


def test_missed_and_non_attribute_samples():
    samples = three_samples() + [
        # A face the model did not return: wrong on each known attribute.
        make_sample([[1, -1, 0]], torch.zeros(0, 3)),
        # Not an attribute sample: no face at all, or only unknown labels.
        make_sample(torch.zeros(0, 3), torch.zeros(0, 3)),
        make_sample([[-1, -1, -1]], [[0.5, 0.5, 0.5]]),
    ]
    metrics = evaluate(AttributeAccuracy(), samples)
    assert metrics['attr/num_samples'] == 4
    assert metrics['attr/num_missed'] == 1
    assert metrics['attr/acc/a'] == pytest.approx(50)  # 2 of 4
    assert metrics['attr/acc/b'] == pytest.approx(200 / 3)  # unchanged
    assert metrics['attr/acc/c'] == pytest.approx(100 / 3)  # 1 of 3


def test_cascade_mode_matches_by_iou():
    # The first (highest-score) prediction is another face; the labelled
    # face is the second prediction.
    sample = make_sample([[1, 0, 1]], [[0.1, 0.9, 0.1], [0.9, 0.1, 0.9]],
                         gt_boxes=[[100, 100, 200, 200]],
                         pred_boxes=[[0, 0, 50, 50], [102, 98, 201, 203]])
    metrics = evaluate(AttributeAccuracy(), [sample])
    assert metrics['attr/mean_accuracy'] == pytest.approx(100)
    metrics = evaluate(AttributeAccuracy(match_mode='first'), [sample])
    assert metrics['attr/mean_accuracy'] == pytest.approx(0)


def test_single_false_positive_is_a_missed_face():
    """The one-box case: the photo's only prediction is far from its only
    face; its attributes must not be scored as the face's."""
    sample = make_sample([[1, 0, 1]], [[0.9, 0.1, 0.9]],
                         gt_boxes=[[100, 100, 200, 200]],
                         pred_boxes=[[300, 300, 400, 400]])
    metrics = evaluate(AttributeAccuracy(), [sample])
    assert metrics['attr/num_missed'] == 1
    assert metrics['attr/mean_accuracy'] == pytest.approx(0)


def test_crop_without_a_known_box_is_its_face():
    """CelebA crops: the face box is unknown (the whole image stands in),
    so the crop's one prediction is its face wherever its box lies."""
    sample = make_sample([[1, 0, 1]], [[0.9, 0.1, 0.9]],
                         gt_boxes=[[0, 0, 178, 218]],
                         pred_boxes=[[60, 80, 110, 130]])
    sample['gt_instances']['box_known'] = torch.tensor([False])
    metrics = evaluate(AttributeAccuracy(), [sample])
    assert metrics['attr/num_missed'] == 0
    assert metrics['attr/mean_accuracy'] == pytest.approx(100)


def test_names_fallback_and_mismatch():
    metric = AttributeAccuracy()
    metric.process({}, three_samples())
    metrics = metric.compute_metrics(metric.results)
    assert 'acc/attr_2' in metrics
    with pytest.raises(ValueError, match='attribute_names'):
        evaluate(AttributeAccuracy(), three_samples(), names=('a', 'b'))


def test_no_attribute_samples_gives_nan():
    metrics = evaluate(AttributeAccuracy(),
                       [make_sample(torch.zeros(0, 3), torch.zeros(0, 3))])
    assert math.isnan(metrics['attr/mean_accuracy'])
    assert metrics['attr/num_samples'] == 0


@pytest.mark.parametrize('threshold', [-0.1, 1.5])
def test_bad_threshold(threshold):
    # Bad match_mode / match_iou: test_matched_face_metric.py.
    with pytest.raises(ValueError, match='threshold must be in'):
        AttributeAccuracy(threshold=threshold)


def test_registered():
    from mmdet.registry import METRICS
    metric = METRICS.build(dict(type='AttributeAccuracy', threshold=0.4))
    assert isinstance(metric, AttributeAccuracy)
    assert metric.prefix == 'attr'


def _rare_attribute_samples():
    # attribute a is rare and always scored under 0.5, but ranked right:
    # positives at 0.3, negatives at 0.1; b and c are fine at 0.5
    samples = []
    for i in range(10):
        positive = i < 2
        samples.append(
            make_sample([[int(positive), i % 2, 1 - i % 2]],
                        [[0.3 if positive else 0.1, 0.8 if i % 2 else 0.2,
                          0.2 if i % 2 else 0.8]]))
    return samples


def test_fitted_thresholds_are_written_and_applied(tmp_path):
    out = str(tmp_path / 'thresholds.json')
    val = evaluate(AttributeAccuracy(fit_thresholds_to=out),
                   _rare_attribute_samples())
    # at 0.5, a is always "absent": balanced 0.5; b and c perfect
    assert val['attr/balanced_accuracy'] == pytest.approx(100 * 2.5 / 3)
    assert val['attr/balanced_accuracy_fit'] == pytest.approx(100.0)
    import json
    saved = json.load(open(out))
    assert saved['attribute_names'] == list(NAMES)
    assert 0.1 < saved['thresholds'][0] <= 0.3 + 1e-6
    assert saved['thresholds'][1] == saved['thresholds'][2] == 0.5
    assert 0.1 < saved['accuracy_thresholds'][0] <= 0.3 + 1e-6
    assert val['attr/mean_accuracy_fit'] == pytest.approx(100.0)

    test = evaluate(AttributeAccuracy(thresholds=out),
                    _rare_attribute_samples())
    assert test['attr/balanced_accuracy_thr'] == pytest.approx(100.0)
    assert test['attr/mean_accuracy_thr'] == pytest.approx(100.0)
    assert test['attr/mean_accuracy_thr_acc'] == pytest.approx(100.0)
    # the 0.5 numbers are still reported beside them
    assert test['attr/balanced_accuracy'] == val['attr/balanced_accuracy']


def test_thresholds_for_other_attributes_are_refused(tmp_path):
    out = str(tmp_path / 'thresholds.json')
    evaluate(AttributeAccuracy(fit_thresholds_to=out),
             _rare_attribute_samples())
    with pytest.raises(ValueError, match='holds thresholds for attributes'):
        evaluate(AttributeAccuracy(thresholds=out),
                 _rare_attribute_samples(), names=('x', 'y', 'z'))


def test_iou_matching_maps_gt_boxes_back_to_the_original_image():
    """Crop pipelines move gt boxes into input pixels; predictions come in
    original pixels. The metric must compare them in one frame."""
    sample = make_sample([[1, 0, 1]], [[0.9, 0.1, 0.9]],
                         gt_boxes=[[10., 10., 60., 60.]],
                         pred_boxes=[[105., 55., 130., 80.]])
    # the input was cropped at (100, 50) and resized by 2: the gt box is
    # (105, 55, 130, 80) in the original image
    sample['scale_factor'] = (2.0, 2.0)
    sample['crop_offset'] = (100.0, 50.0)
    metrics = evaluate(AttributeAccuracy(match_mode='iou'), [sample])
    assert metrics['attr/num_missed'] == 0
    assert metrics['attr/mean_accuracy'] == pytest.approx(100.0)


def test_accuracy_and_balanced_objectives_fit_different_thresholds():
    import numpy as np
    from mcfa_mm.evaluation.metrics.attribute_metric import fit_thresholds

    # one rare positive scored 0.3, under three of nine negatives (0.31-0.33)
    scores = np.array([[0.3], [0.1], [0.1], [0.1], [0.1], [0.1], [0.1],
                       [0.31], [0.32], [0.33]], np.float32)
    gt = np.array([[1]] + [[0]] * 9)
    # balanced: 0.3 keeps the positive (TPR 1, TNR 6/9 -> 0.83 against 0.5)
    assert fit_thresholds(scores, gt)[0] == pytest.approx(0.3)
    # accuracy: 9 of 10 right above 0.33, 7 at 0.3; the tie goes to 0.5
    assert fit_thresholds(scores, gt, objective='accuracy')[0] == 0.5
    with pytest.raises(ValueError, match='objective must be one of'):
        fit_thresholds(scores, gt, objective='f1')
