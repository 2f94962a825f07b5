"""Face matching shared by the metrics."""
import numpy as np
import pytest
import torch
from mmdet.structures.bbox import HorizontalBoxes

from mcfa_mm.evaluation.metrics.utils import (gt_boxes_to_original,
                                              match_faces, to_numpy)


def test_to_numpy():
    boxes = HorizontalBoxes(torch.ones(2, 4))
    assert to_numpy(boxes).shape == (2, 4)
    assert to_numpy(torch.ones(3), np.int64).dtype == np.int64
    assert to_numpy(None) is None
    assert to_numpy([[1, 2]]).shape == (1, 2)


def test_first_mode():
    matches = match_faces(2, 3, None, None, match_mode='first')
    assert matches.tolist() == [0, -2]
    assert match_faces(1, 0, None, None, 'first').tolist() == [-1]


def test_iou_mode_is_one_to_one():
    gts = np.array([[0, 0, 100, 100], [10, 0, 110, 100]], np.float32)
    # Both gts overlap pred 0 most; gt 0 is the better match for it
    # (IoU 1), so gt 1 falls back to pred 1 (IoU 0.9 / 1.1 = 0.818).
    preds = np.array([[0, 0, 100, 100], [20, 0, 120, 100]], np.float32)
    assert match_faces(2, 2, gts, preds, 'iou').tolist() == [0, 1]
    # Without the second prediction gt 1 is missed, not given pred 0 twice.
    assert match_faces(2, 1, gts, preds[:1], 'iou').tolist() == [0, -1]
    # Below the IoU threshold nothing matches.
    assert match_faces(2, 2, gts, preds, 'iou',
                       match_iou=0.99).tolist() == [0, -1]


def test_auto_mode_matches_boxes_by_iou_whatever_their_number():
    """One prediction far from the one face of a whole photo is a false
    positive and a missed face, not a pair (the one-box case)."""
    gts = np.array([[0, 0, 10, 10]], np.float32)
    far = np.array([[50, 50, 60, 60]], np.float32)
    near = np.array([[1, 0, 11, 10]], np.float32)
    assert match_faces(1, 1, gts, far, 'auto').tolist() == [-1]
    assert match_faces(1, 1, gts, near, 'auto').tolist() == [0]
    assert match_faces(1, 2, gts, np.concatenate([far, near]),
                       'auto').tolist() == [1]


def test_auto_mode_without_boxes_pairs_a_crop():
    """No box to compare (a crop whose face box is unknown): the one
    prediction is the crop's face; several cannot be told apart."""
    assert match_faces(1, 1, None, None, 'auto').tolist() == [0]
    assert match_faces(1, 0, None, None, 'auto').tolist() == [-1]
    gts = np.array([[0, 0, 10, 10]], np.float32)
    assert match_faces(1, 1, gts, None, 'auto').tolist() == [0]
    with pytest.raises(ValueError, match='IoU matching needs'):
        match_faces(1, 2, None, None, 'auto')


def test_unknown_gt_boxes_are_not_matched(tmp_path):
    """A crop that is the face (box_known False) has no box to match."""
    boxes = np.array([[0, 0, 178, 218]], np.float32)
    sample = dict(gt_instances=dict(box_known=torch.tensor([False])))
    assert gt_boxes_to_original(boxes, sample) is None
    sample = dict(gt_instances=dict(box_known=torch.tensor([True])),
                  scale_factor=(2., 2.), crop_offset=(10., 0.))
    np.testing.assert_allclose(
        gt_boxes_to_original(boxes, sample), [[10, 0, 99, 109]])
    assert gt_boxes_to_original(None, sample) is None
