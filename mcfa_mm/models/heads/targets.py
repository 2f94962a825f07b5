"""Per-sample training targets and masks of MCFA's four tasks."""
from typing import List, NamedTuple

import torch
from torch import Tensor

from ...datasets.metainfo import ATTRIBUTE_IGNORE, FACE, NON_FACE, PART_FACE


class FaceTargets(NamedTuple):
    """Targets of a batch of crops; a mask says which samples carry each.

    Attributes:
        face_label (Tensor): ``(B,)`` 1 face, 0 non-face, -1 part face.
        bbox (Tensor): ``(B, 4)`` box offsets from the crop window / side.
        bbox_mask (Tensor): ``(B,)`` samples with an annotated face box.
        landmark (Tensor): ``(B, 10)`` landmarks / side.
        landmark_mask (Tensor): ``(B,)`` samples with all 5 landmarks.
        attributes (Tensor): ``(B, d)`` 1 / 0 / -1 unknown.
    """
    face_label: Tensor
    bbox: Tensor
    bbox_mask: Tensor
    landmark: Tensor
    landmark_mask: Tensor
    attributes: Tensor


def _face_label(data_sample, num_faces: int) -> int:
    label = data_sample.metainfo.get('face_label')
    if label is None:
        return FACE if num_faces else NON_FACE
    return int(label)


def build_face_targets(batch_data_samples: List, num_attributes: int,
                       device: torch.device) -> FaceTargets:
    """Collect the targets of the first face of each crop.

    Non-faces (no instance) contribute only a face label. Box, landmark and
    attribute targets count only where the sample has them (``box_known``,
    ``keypoints_visible``, attributes other than -1).

    Args:
        batch_data_samples (list[DetDataSample]): Packed training samples.
        num_attributes (int): d.
        device (torch.device): Where to put the targets.

    Returns:
        FaceTargets: The batch's targets.
    """
    batch = len(batch_data_samples)
    face_label = torch.full((batch, ), NON_FACE, dtype=torch.long)
    bbox = torch.zeros(batch, 4)
    bbox_mask = torch.zeros(batch, dtype=torch.bool)
    landmark = torch.zeros(batch, 10)
    landmark_mask = torch.zeros(batch, dtype=torch.bool)
    attributes = torch.full((batch, num_attributes), ATTRIBUTE_IGNORE,
                            dtype=torch.long)
    for i, sample in enumerate(batch_data_samples):
        gt = sample.gt_instances
        face_label[i] = _face_label(sample, len(gt))
        if len(gt) == 0 or face_label[i] == NON_FACE:
            continue
        height, width = sample.metainfo['img_shape'][:2]
        side = torch.tensor([width, height], dtype=torch.float32)
        if 'box_known' not in gt or bool(gt.box_known[0]):
            box = gt.bboxes[0]
            box = box.tensor[0] if hasattr(box, 'tensor') else box
            bbox[i] = box.float().cpu() / side.repeat(2) - torch.tensor(
                [0., 0., 1., 1.])
            bbox_mask[i] = True
        if face_label[i] == PART_FACE:
            continue  # a part face trains only the box, as in MTCNN
        if 'keypoints' in gt and bool(
                (gt.get('keypoints_visible',
                        torch.ones(1, 5))[0] > 0).all()):
            landmark[i] = (gt.keypoints[0].float().cpu() / side).flatten()
            landmark_mask[i] = True
        if 'attributes' in gt and gt.attributes.shape[-1] == num_attributes:
            attributes[i] = gt.attributes[0].long().cpu()
    return FaceTargets(face_label.to(device), bbox.to(device),
                       bbox_mask.to(device), landmark.to(device),
                       landmark_mask.to(device), attributes.to(device))
