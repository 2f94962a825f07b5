"""LandmarkNME against hand-computed distances."""
import math

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.structures import InstanceData

from mcfa_mm.evaluation import LandmarkNME

# Eyes 40 px apart: the inter-ocular distance is 40.
FACE = np.array([[30, 40], [70, 40], [50, 60], [35, 80], [65, 80]],
                dtype=np.float32)
FACE_BOX = [10, 10, 90, 100]
# Point errors 4, 0, 5, 0, 8 px: mean 3.4 px.
OFFSETS = np.array([[4, 0], [0, 0], [3, 4], [0, 0], [0, 8]], np.float32)


def make_sample(gt_kpts,
                pred_kpts,
                gt_boxes=None,
                pred_boxes=None,
                visible=None,
                **metainfo) -> dict:
    """A sample as the evaluator hands it over: ``DetDataSample.to_dict()``."""
    gt_kpts = np.asarray(gt_kpts, np.float32).reshape(-1, 5, 2)
    pred_kpts = np.asarray(pred_kpts, np.float32).reshape(-1, 5, 2)
    sample = DetDataSample(metainfo=metainfo)
    gt = InstanceData()
    gt.keypoints = torch.from_numpy(gt_kpts)
    gt.keypoints_visible = (
        torch.ones(len(gt_kpts), 5) if visible is None else torch.tensor(
            visible, dtype=torch.float))
    gt.bboxes = HorizontalBoxes(
        torch.tensor([FACE_BOX] * len(gt_kpts) if gt_boxes is None else
                     gt_boxes, dtype=torch.float).reshape(-1, 4))
    sample.gt_instances = gt
    pred = InstanceData()
    pred.keypoints = torch.from_numpy(pred_kpts)
    pred.bboxes = torch.tensor(
        [FACE_BOX] * len(pred_kpts) if pred_boxes is None else pred_boxes,
        dtype=torch.float).reshape(-1, 4)
    pred.scores = torch.linspace(0.9, 0.8, len(pred_kpts))
    sample.pred_instances = pred
    return sample.to_dict()


def evaluate(metric, samples) -> dict:
    metric.dataset_meta = dict(
        landmark_names=('left_eye', 'right_eye', 'nose', 'left_mouth',
                        'right_mouth'))
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def crop_samples() -> list:
    return [
        make_sample(FACE, FACE + OFFSETS),  # NME 3.4 / 40 = 8.5%
        make_sample(FACE, FACE + [0, 6]),  # NME 6 / 40 = 15%: a failure
        # Not counted: one landmark not annotated, or no face at all.
        make_sample(FACE, FACE + 50, visible=[[1, 1, 0, 1, 1]]),
        make_sample(np.zeros((0, 5, 2)), FACE),
    ]


def test_crop_mode_inter_ocular():
    metrics = evaluate(LandmarkNME(), crop_samples())
    assert metrics['landmark/nme'] == pytest.approx((8.5 + 15) / 2)
    assert metrics['landmark/failure_rate'] == pytest.approx(50)
    assert metrics['landmark/num_faces'] == 2
    assert metrics['landmark/missed'] == 0


def test_failure_threshold():
    metrics = evaluate(LandmarkNME(failure_threshold=0.2), crop_samples())
    assert metrics['landmark/failure_rate'] == pytest.approx(0)


def test_missed_face_is_a_failure_but_not_in_nme():
    samples = crop_samples() + [make_sample(FACE, np.zeros((0, 5, 2)))]
    metrics = evaluate(LandmarkNME(), samples)
    assert metrics['landmark/nme'] == pytest.approx((8.5 + 15) / 2)
    assert metrics['landmark/failure_rate'] == pytest.approx(200 / 3)
    assert metrics['landmark/num_faces'] == 3
    assert metrics['landmark/missed'] == 1


@pytest.mark.parametrize('norm_mode, box, norm', [
    ('bbox_size', [0, 0, 40, 90], 60.0),  # sqrt(40 * 90)
    ('bbox_diagonal', [0, 0, 60, 80], 100.0),  # sqrt(60^2 + 80^2)
])
def test_box_norm_modes(norm_mode, box, norm):
    sample = make_sample(FACE, FACE + OFFSETS, gt_boxes=[box])
    # crop mode: the prediction is the crop's face, whatever its box
    metrics = evaluate(
        LandmarkNME(norm_mode=norm_mode, match_mode='first'), [sample])
    assert metrics['landmark/nme'] == pytest.approx(3.4 / norm * 100)


def test_cascade_mode_matches_by_iou():
    shift = np.array([200, 0], np.float32)
    box_a = [0, 0, 100, 100]
    box_b = [200, 0, 300, 100]
    box_c = [400, 0, 500, 100]
    gt_kpts = [FACE, FACE + shift, FACE + 2 * shift]
    # Predictions in score order: face B (slightly off), a false positive,
    # face A (exact). Face C is not found.
    pred_kpts = [FACE + shift + [0, 2], FACE + 1000, FACE]
    pred_boxes = [[205, 5, 305, 105], [600, 600, 700, 700], box_a]
    sample = make_sample(
        gt_kpts,
        pred_kpts,
        gt_boxes=[box_a, box_b, box_c],
        pred_boxes=pred_boxes)
    metrics = evaluate(LandmarkNME(), [sample])
    # A: NME 0; B: 2 / 40 = 5%; C missed.
    assert metrics['landmark/nme'] == pytest.approx(2.5)
    assert metrics['landmark/failure_rate'] == pytest.approx(100 / 3)
    assert metrics['landmark/num_faces'] == 3
    assert metrics['landmark/missed'] == 1


@pytest.mark.parametrize('match_mode', ['auto', 'iou'])
def test_single_false_positive(match_mode):
    """The one-box case: a photo's only prediction lies far from its only
    face. It is a missed face, not a landmark error of 700 %."""
    sample = make_sample(
        FACE, FACE + 300, pred_boxes=[[300, 300, 400, 400]])
    metrics = evaluate(LandmarkNME(match_mode=match_mode), [sample])
    assert metrics['landmark/missed'] == 1
    assert math.isnan(metrics['landmark/nme'])
    assert metrics['landmark/failure_rate'] == pytest.approx(100)
    # 'first' is crop mode: the crop is the face, the prediction its own
    metrics = evaluate(LandmarkNME(match_mode='first'), [sample])
    assert metrics['landmark/missed'] == 0
    assert metrics['landmark/nme'] > 100


def test_rescale_gt():
    """gt in a 2x resized frame, predictions in original pixels."""
    sample = make_sample(
        FACE * 2, FACE + OFFSETS, gt_boxes=[[20, 20, 180, 200]],
        scale_factor=(2.0, 2.0))
    metrics = evaluate(LandmarkNME(rescale_gt=True), [sample])
    assert metrics['landmark/nme'] == pytest.approx(8.5)


def test_zero_inter_ocular_is_left_out():
    degenerate = FACE.copy()
    degenerate[1] = degenerate[0]
    samples = crop_samples() + [make_sample(degenerate, degenerate)]
    metrics = evaluate(LandmarkNME(), samples)
    assert metrics['landmark/num_faces'] == 2


@pytest.mark.parametrize('kwargs', [
    dict(norm_mode='pupil'),
    dict(failure_threshold=0),
])
def test_bad_arguments(kwargs):
    # Bad match_mode / match_iou: test_matched_face_metric.py.
    with pytest.raises(ValueError):
        LandmarkNME(**kwargs)


def test_bad_norm_mode_message():
    with pytest.raises(ValueError, match="'inter_ocular'"):
        LandmarkNME(norm_mode='inter-ocular')


@pytest.mark.parametrize('match_mode', ['iou', 'first'])
def test_rescale_gt_adds_the_crop_offset(match_mode):
    """gt of a crop at (30, 20), resized 2x; predictions in original pixels.

    Prediction B sits where the gt would be if the crop offset were
    forgotten, prediction A on the real face; only A is right.
    """
    offset = np.array([30., 20.], np.float32)
    crop_kpts = (FACE - offset) * 2
    crop_box = ((np.array(FACE_BOX, np.float32) - np.tile(offset, 2)) *
                2).tolist()
    box_b = (np.array(FACE_BOX) - np.tile(offset, 2)).tolist()
    pred_kpts = [FACE - offset + 20, FACE + OFFSETS]  # B (top score), A
    pred_boxes = [box_b, FACE_BOX]
    if match_mode == 'first':  # crop mode: one prediction, A
        pred_kpts, pred_boxes = pred_kpts[1:], pred_boxes[1:]
    sample = make_sample(
        crop_kpts, pred_kpts, gt_boxes=[crop_box], pred_boxes=pred_boxes,
        scale_factor=(2.0, 2.0), crop_offset=offset)
    metrics = evaluate(
        LandmarkNME(match_mode=match_mode, norm_mode='bbox_size'), [sample])
    # A's point errors: mean 3.4 px over sqrt(80 * 90) = 84.85 px
    assert metrics['landmark/nme'] == pytest.approx(3.4 / 84.85281 * 100)
    assert metrics['landmark/missed'] == 0
