"""Pack a face sample into the model's inputs and a ``DetDataSample``."""
from typing import Sequence

import numpy as np
from mmdet.datasets.transforms import PackDetInputs
from mmdet.registry import TRANSFORMS

_DET_META_KEYS = ('img_id', 'img_path', 'ori_shape', 'img_shape',
                  'scale_factor', 'flip', 'flip_direction')


@TRANSFORMS.register_module()
class PackFaceInputs(PackDetInputs):
    """mmdet's ``PackDetInputs`` that also packs landmarks and attributes.

    ``gt_instances`` gets ``bboxes``, ``labels``, ``box_known``,
    ``keypoints``, ``keypoints_visible`` and ``attributes`` (ignored
    instances go to ``ignored_instances``, as in mmdet). With N = 0
    instances (mined non-faces) the fields are empty tensors that keep their
    trailing shapes, e.g. ``keypoints`` (0, 5, 2).

    As in mmdet 3.3, a meta key missing from ``results`` is left out of the
    metainfo (``mining_type`` only exists after mining, ``face_label`` only
    with annotations), except ``crop_offset``, which defaults to zeros:
    nothing was cropped, and the model can always map its predictions back
    with ``pred / scale_factor + crop_offset``.

    Required Keys:

    - img
    - gt_bboxes (BaseBoxes[torch.float32]) (optional)
    - gt_bboxes_labels (np.int64) (optional)
    - gt_ignore_flags (bool) (optional)
    - gt_box_known (bool) (optional)
    - gt_keypoints (np.float32) (optional)
    - gt_keypoints_visible (np.float32) (optional)
    - gt_attributes (np.int64) (optional)
    - the ``meta_keys``

    Added Keys:

    - inputs (torch.Tensor): (C, H, W)
    - data_samples (DetDataSample)

    Args:
        meta_keys (Sequence[str]): Keys copied into the data sample's
            metainfo. Defaults to mmdet's ``('img_id', 'img_path',
            'ori_shape', 'img_shape', 'scale_factor', 'flip',
            'flip_direction')`` plus ``('face_label', 'crop_offset',
            'mining_type')``.
    """

    mapping_table = {
        **PackDetInputs.mapping_table,
        'gt_keypoints': 'keypoints',
        'gt_keypoints_visible': 'keypoints_visible',
        'gt_attributes': 'attributes',
        'gt_box_known': 'box_known',
    }

    def __init__(
        self,
        meta_keys: Sequence[str] = _DET_META_KEYS +
        ('face_label', 'crop_offset', 'mining_type')
    ) -> None:
        super().__init__(meta_keys=tuple(meta_keys))

    def transform(self, results: dict) -> dict:
        """Pack the inputs and the data sample.

        Args:
            results (dict): Result dict from the data pipeline.

        Returns:
            dict: ``inputs`` (torch.Tensor) and ``data_samples``
            (DetDataSample) with the fields listed in the class docstring.
        """
        if 'crop_offset' in self.meta_keys and 'crop_offset' not in results:
            # A shallow copy: the caller's dict keeps its keys.
            results = dict(results, crop_offset=np.zeros(2, np.float32))
        return super().transform(results)
