"""Helpers shared by the face metrics: array conversion and face matching.

The metrics receive data samples as plain dicts (MMEngine's ``Evaluator``
calls ``DetDataSample.to_dict()``), whose fields may be tensors, numpy
arrays, lists or MMDetection box objects. ``to_numpy`` turns any of them into
numpy so the metrics do their maths in one place.
"""
from typing import Any, Optional

import numpy as np
import torch
from mmdet.evaluation.functional import bbox_overlaps

from mcfa_mm.utils.pixel_mapping import to_original_pixels

#: Valid values of the metrics' ``match_mode`` argument.
MATCH_MODES = ('auto', 'first', 'iou')


def to_numpy(value: Any, dtype: Optional[type] = None) -> Optional[np.ndarray]:
    """Convert a tensor, box object, array or list to a numpy array.

    Args:
        value (Any): ``torch.Tensor``, MMDetection ``BaseBoxes`` (anything
            with a ``tensor`` attribute), ``np.ndarray``, list or ``None``.
        dtype (type, optional): Cast the result to this dtype.

    Returns:
        np.ndarray | None: The array, or ``None`` when ``value`` is ``None``.
    """
    if value is None:
        return None
    # HorizontalBoxes keeps its data in ``.tensor``; gt boxes arrive that way.
    if not isinstance(value, (torch.Tensor, np.ndarray)) and hasattr(
            value, 'tensor'):
        value = value.tensor
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    return array if dtype is None else array.astype(dtype)


def check_threshold(threshold: float) -> None:
    """Validate the score ``threshold`` argument of a metric.

    Args:
        threshold (float): A probability threshold, in [0, 1].

    Raises:
        ValueError: If ``threshold`` is outside [0, 1].
    """
    if not 0 <= threshold <= 1:
        raise ValueError(f'threshold must be in [0, 1], got {threshold}')


def check_match_mode(match_mode: str, match_iou: float) -> None:
    """Validate the ``match_mode`` / ``match_iou`` arguments of a metric.

    Args:
        match_mode (str): One of :data:`MATCH_MODES`.
        match_iou (float): IoU threshold of the ``'iou'`` mode, in (0, 1].

    Raises:
        ValueError: If either value is invalid.
    """
    if match_mode not in MATCH_MODES:
        raise ValueError(f'match_mode must be one of {MATCH_MODES}, '
                         f'got {match_mode!r}')
    if not 0 < match_iou <= 1:
        raise ValueError(f'match_iou must be in (0, 1], got {match_iou}')


def match_faces(num_gts: int,
                num_preds: int,
                gt_bboxes: Optional[np.ndarray],
                pred_bboxes: Optional[np.ndarray],
                match_mode: str = 'auto',
                match_iou: float = 0.5) -> np.ndarray:
    """Pair ground-truth faces with predicted faces.

    ``'first'`` is crop mode: the input crop *is* the face, so the first
    prediction belongs to the first ground truth and any further ground
    truths are not evaluated (index ``-2``). ``'iou'`` is cascade mode:
    a one-to-one greedy assignment in decreasing IoU order, keeping pairs
    with IoU >= ``match_iou``. ``'auto'`` matches by IoU whenever both
    sides have boxes, whatever their numbers: on a whole photo a single
    prediction may be a false positive beside the one face, and pairing
    them would score the wrong face. It pairs like ``'first'`` only
    without boxes to compare and at most one prediction (a crop whose face
    box is unknown, such as CelebA's, where the crop is the face).

    Args:
        num_gts (int): N, the number of ground-truth faces.
        num_preds (int): K, the number of predictions.
        gt_bboxes (np.ndarray, optional): (N, 4) xyxy ground-truth boxes;
            only needed by the IoU mode (None: no known box).
        pred_bboxes (np.ndarray, optional): (K, 4) xyxy predicted boxes;
            only needed by the IoU mode.
        match_mode (str): ``'auto'``, ``'first'`` or ``'iou'``.
            Defaults to ``'auto'``.
        match_iou (float): Minimum IoU of a match in the IoU mode.
            Defaults to 0.5.

    Returns:
        np.ndarray: (N,) int index of the matched prediction per ground
        truth; ``-1`` for a missed face, ``-2`` for a face left out of the
        evaluation (crop mode evaluates the first face only).
    """
    if match_mode == 'auto':
        no_boxes = gt_bboxes is None or pred_bboxes is None
        # several predictions without boxes cannot be matched: 'iou' says so
        match_mode = 'first' if no_boxes and num_preds <= 1 else 'iou'
    if match_mode == 'first':
        matches = np.full(num_gts, -2, dtype=np.int64)
        if num_gts:
            matches[0] = 0 if num_preds > 0 else -1
        return matches

    matches = np.full(num_gts, -1, dtype=np.int64)
    if num_gts == 0 or num_preds == 0:
        return matches
    if gt_bboxes is None or pred_bboxes is None:
        raise ValueError('IoU matching needs gt_instances.bboxes and '
                         "pred_instances.bboxes; use match_mode='first' "
                         'for crop-mode predictions')
    ious = bbox_overlaps(
        gt_bboxes.astype(np.float32), pred_bboxes.astype(np.float32))
    # Greedy, best pair first, so two nearby faces cannot share one detection.
    gt_order, pred_order = np.unravel_index(
        np.argsort(-ious, axis=None, kind='stable'), ious.shape)
    pred_taken = np.zeros(num_preds, dtype=bool)
    for gt_idx, pred_idx in zip(gt_order, pred_order):
        if ious[gt_idx, pred_idx] < match_iou:
            break
        if matches[gt_idx] < 0 and not pred_taken[pred_idx]:
            matches[gt_idx] = pred_idx
            pred_taken[pred_idx] = True
    return matches


def gt_boxes_to_original(boxes: Optional[np.ndarray],
                         sample: dict) -> Optional[np.ndarray]:
    """Map ground-truth boxes from network-input to original-image pixels.

    Test pipelines resize (``scale_factor``) and may crop (``crop_offset``)
    the image, moving the ground truth with it, while the detector returns
    predictions in original pixels. Box matching must compare the two in
    the same frame.

    A sample whose faces have no known box (``gt_instances.box_known``
    all False: a crop that is the face, its "box" the whole image) has no
    box to match a prediction with, and gives None.

    Args:
        boxes (np.ndarray, optional): (N, 4) xyxy boxes in input pixels.
        sample (dict): The data sample's fields, with the optional
            ``scale_factor`` (w, h), ``crop_offset`` (x, y) and
            ``gt_instances.box_known``.

    Returns:
        np.ndarray | None: The boxes in original-image pixels; None without
        boxes or without a known one.
    """
    known = to_numpy(sample.get('gt_instances', {}).get('box_known'))
    if boxes is None or (known is not None and known.size
                         and not known.astype(bool).any()):
        return None
    return to_original_pixels(boxes, sample.get('scale_factor', (1., 1.)),
                              sample.get('crop_offset', (0., 0.)))
