"""Base class of the metrics that pair ground-truth faces with predictions."""
from typing import Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from .utils import check_match_mode, match_faces, to_numpy


class MatchedFaceMetric(BaseMetric):
    """A metric that scores predicted faces against their ground truth.

    Holds the face-matching arguments and the per-sample loop of
    :meth:`process`: a subclass reads one sample in :meth:`process_sample`
    and pairs its ground-truth faces with the predictions by
    :meth:`match_sample`. A sample that the metric does not evaluate (no
    labels of its kind) still stores one result, ``None``: distributed
    collection relies on one result per sample to drop the padding
    duplicates, and :meth:`compute_metrics` skips the ``None`` entries.

    Args:
        match_mode (str): How ground-truth faces are paired with predictions
            (see :func:`~mcfa_mm.evaluation.metrics.utils.match_faces`):
            ``'first'`` (crop mode), ``'iou'`` (cascade mode) or ``'auto'``.
            Defaults to ``'auto'``.
        match_iou (float): Minimum IoU of a match in the IoU mode.
            Defaults to 0.5.
        collect_device (str): Device used to collect results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to
            ``default_prefix``.
    """

    def __init__(self,
                 match_mode: str = 'auto',
                 match_iou: float = 0.5,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        check_match_mode(match_mode, match_iou)
        self.match_mode = match_mode
        self.match_iou = match_iou

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Store one result per sample (see :meth:`process_sample`).

        Args:
            data_batch (dict): A batch from the dataloader (unused).
            data_samples (Sequence[dict]): ``DetDataSample.to_dict()`` of
                each sample, with ``gt_instances`` and ``pred_instances``.
        """
        for sample in data_samples:
            self.results.append(self.process_sample(sample))

    def process_sample(self, sample: dict) -> Optional[dict]:
        """The result of one sample.

        Args:
            sample (dict): ``DetDataSample.to_dict()`` of the sample.

        Returns:
            dict | None: What :meth:`compute_metrics` needs of the sample,
            or ``None`` when the metric does not evaluate it.
        """
        raise NotImplementedError

    def match_sample(self, num_gts: int, num_preds: int,
                     gt_bboxes: Optional[np.ndarray],
                     pred_instances: dict) -> np.ndarray:
        """Pair a sample's ground-truth faces with its predictions.

        Args:
            num_gts (int): N, the number of evaluated ground-truth faces.
            num_preds (int): K, the number of predictions.
            gt_bboxes (np.ndarray, optional): (N, 4) xyxy ground-truth boxes
                in original-image pixels; only the IoU mode needs them.
            pred_instances (dict): The sample's ``pred_instances``; its
                ``bboxes``, when present, are matched in the IoU mode.

        Returns:
            np.ndarray: (N,) index of the matched prediction per face, ``-1``
            for a missed face, ``-2`` for a face not evaluated (see
            :func:`~mcfa_mm.evaluation.metrics.utils.match_faces`).
        """
        return match_faces(
            num_gts,
            num_preds,
            gt_bboxes,
            to_numpy(pred_instances.get('bboxes'), np.float32),
            match_mode=self.match_mode,
            match_iou=self.match_iou)
