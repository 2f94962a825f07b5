"""MCFA's landmarks and attributes for face boxes that any detector found."""
from typing import Optional, Sequence, Union

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.dataset import pseudo_collate
from mmengine.structures import InstanceData

from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from ..datasets.metainfo import NUM_LANDMARKS
from ..utils.image_io import read_image
from .attribute_decisions import add_attribute_decisions, attribute_thresholds

#: The crop of the test pipelines of boxed photos (``CropFace``'s enlarge in
#: ``configs/_base_/datasets/face_sources.py``): a square 1.1 times the
#: box's long side, centred on it.
TEST_CROP_ENLARGE = 1.1

BoxesType = Union[torch.Tensor, np.ndarray, Sequence[Sequence[float]],
                  InstanceData, DetDataSample]


def build_box_pipeline(input_size: int,
                       enlarge: float = TEST_CROP_ENLARGE) -> Compose:
    """The pipeline that turns one face box of a loaded image into a crop.

    The same transforms as the test pipeline of photos with a face box
    (``CropFace`` then ``FaceResize`` then ``PackFaceInputs``), so a box
    from another detector is cropped exactly as the labelled box is in
    testing; ``crop_offset`` and ``scale_factor`` let the model map its
    predictions back to the original image.

    Args:
        input_size (int): The network's input side.
        enlarge (float): Crop side over the box's long side.

    Returns:
        Compose: The pipeline; its input needs ``img``, ``img_shape``,
        ``gt_bboxes`` (one box) and ``gt_box_known``.
    """
    return Compose([
        dict(type='CropFace', enlarge=enlarge),
        dict(type='FaceResize', scale=(input_size, input_size),
             keep_ratio=False),
        dict(type='PackFaceInputs',
             meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                        'scale_factor', 'crop_offset'))
    ])


def _as_array(values, name: str) -> np.ndarray:
    """``values`` (tensor, array or nested list) as a float32 array."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    try:
        return np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise ValueError(f'{name} must be numbers, got {values!r}') from error


def _boxes_and_scores(bboxes: BoxesType, scores: Optional[Sequence[float]]
                      ) -> tuple:
    """``(K, 4)`` float32 boxes and ``(K,)`` scores or None, validated."""
    if isinstance(bboxes, DetDataSample):
        bboxes = bboxes.pred_instances
    if isinstance(bboxes, InstanceData):
        if scores is None and 'scores' in bboxes:
            scores = bboxes.scores
        bboxes = bboxes.bboxes
    if isinstance(bboxes, HorizontalBoxes):
        bboxes = bboxes.tensor
    boxes = _as_array(bboxes, 'bboxes')
    if boxes.size == 0:
        boxes = boxes.reshape(0, 4)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError('bboxes must be (K, 4) xyxy pixels, got shape '
                         f'{boxes.shape}')
    for index, box in enumerate(boxes):
        if not (np.isfinite(box).all() and box[2] > box[0]
                and box[3] > box[1]):
            raise ValueError(f'bboxes[{index}] = {box.tolist()} is not a box '
                             'with x2 > x1 and y2 > y1 in pixels')
    if scores is not None:
        scores = _as_array(scores, 'scores')
        if scores.shape != (len(boxes), ):
            raise ValueError(f'scores must have one value per box '
                             f'({len(boxes)}), got shape {scores.shape}')
        scores = torch.from_numpy(scores)
    return torch.from_numpy(boxes), scores


def inference_faces_in_boxes(model: torch.nn.Module,
                             image: Union[str, np.ndarray],
                             bboxes: BoxesType,
                             scores: Optional[Sequence[float]] = None,
                             enlarge: float = TEST_CROP_ENLARGE,
                             batch_size: int = 16) -> DetDataSample:
    """Landmarks and attributes of faces whose boxes come from elsewhere.

    Every box (from any detector, or written by hand) is cropped the way
    the test pipelines crop a labelled face box (a square ``enlarge`` times
    its long side, centred on it, zero-padded outside the image), resized
    to the network input, and run through the MCFA model in crop mode (S, M
    and L_Net; L_Net's outputs are returned). Results are in the original
    image's pixels.

    Args:
        model (MCFA): A model from :func:`mmdet.apis.init_detector`.
        image (str | np.ndarray): Image path, or a BGR array as mmcv loads.
        bboxes (Tensor | ndarray | list | InstanceData | DetDataSample):
            ``(K, 4)`` xyxy boxes in image pixels, or a detector's result
            (its ``pred_instances``, whose ``bboxes`` and ``scores`` are
            used), e.g. from :func:`mmdet.apis.inference_detector`.
        scores (Sequence[float], optional): The detector's score of each
            box. Defaults to the result's ``scores`` if one was given.
        enlarge (float): Crop side over the box's long side. Defaults to
            the test pipelines' 1.1.
        batch_size (int): Boxes per forward pass.

    Returns:
        DetDataSample: ``pred_instances`` with, for each of the K boxes in
        the given order: ``bboxes`` (K, 4) the given boxes; ``scores`` (K,)
        the given scores, else MCFA's face probability; ``labels`` (K,)
        zeros; ``keypoints`` (K, 5, 2) in image pixels;
        ``attribute_scores`` (K, d); ``attribute_decisions`` (K, d) bool,
        at the model's thresholds (see
        :mod:`~mcfa_mm.apis.attribute_decisions`); ``face_scores`` (K,)
        MCFA's face probability; ``refined_bboxes`` (K, 4) L_Net's
        calibrated box in image pixels.

    Raises:
        ValueError: If ``bboxes`` or ``scores`` are malformed.
        FaceImageError: If the image file is missing or unreadable.
    """
    boxes, scores = _boxes_and_scores(bboxes, scores)
    img_path = image if isinstance(image, str) else None
    img = read_image(image) if isinstance(image, str) else image
    height, width = img.shape[:2]
    pipeline = build_box_pipeline(model.input_size, enlarge)
    inputs = []
    for index, box in enumerate(boxes):
        inputs.append(
            pipeline(
                dict(img=img, img_shape=(height, width),
                     ori_shape=(height, width), img_path=img_path,
                     img_id=index,
                     gt_bboxes=HorizontalBoxes(box[None].clone()),
                     gt_box_known=np.ones(1, bool))))
    predictions = []
    previous_mode = model.test_cfg['mode']
    model.test_cfg['mode'] = 'crop'
    try:
        for start in range(0, len(inputs), batch_size):
            batch = pseudo_collate(inputs[start:start + batch_size])
            with torch.no_grad():
                predictions.extend(
                    r.pred_instances for r in model.test_step(batch))
    finally:
        model.test_cfg['mode'] = previous_mode
    result = _gather(predictions, boxes, scores, model.head.num_attributes,
                     dict(img_path=img_path, ori_shape=(height, width),
                          img_shape=(height, width)))
    return add_attribute_decisions(
        result,
        attribute_thresholds(getattr(model, 'dataset_meta', None),
                             model.head.num_attributes))


def _gather(predictions: list, boxes: torch.Tensor,
            scores: Optional[torch.Tensor], num_attributes: int,
            metainfo: dict) -> DetDataSample:
    """One data sample with the per-box predictions stacked in order."""

    def stack(key: str, empty_shape: tuple) -> torch.Tensor:
        if not predictions:
            return torch.zeros(empty_shape)
        return torch.cat([p[key].float().cpu() for p in predictions])

    instances = InstanceData()
    instances.bboxes = boxes
    instances.face_scores = stack('scores', (0, ))
    instances.scores = (scores
                        if scores is not None else instances.face_scores)
    instances.labels = torch.zeros(len(boxes), dtype=torch.long)
    instances.keypoints = stack('keypoints', (0, NUM_LANDMARKS, 2))
    instances.attribute_scores = stack('attribute_scores',
                                       (0, num_attributes))
    instances.refined_bboxes = stack('bboxes', (0, 4))
    result = DetDataSample(metainfo=metainfo)
    result.pred_instances = instances
    return result
