"""Face / non-face classification accuracy of crop-mode samples."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mcfa_mm.datasets.metainfo import FACE, NON_FACE
from .utils import check_threshold, to_numpy


@METRICS.register_module()
class FaceClassificationAccuracy(BaseMetric):
    """Face recall, non-face recall, and accuracy / precision where they
    mean something.

    For crop-mode samples: the label is the sample's ``face_label`` metainfo
    (1 face, 0 non-face, -1 part face, which is ignored as in MTCNN's
    training); a sample without ``face_label`` is a face when it has ground
    truth instances (the data contract's default). The prediction is
    ``pred_instances.scores[0]``, the face probability of the crop; a sample
    without predictions is predicted non-face.

    Metrics (%), each reported only when the split can measure it:

    - ``recall``: faces predicted face, over the faces (needs faces).
    - ``non_face_recall``: non-faces predicted non-face, over the non-faces
      (needs non-faces).
    - ``accuracy`` and ``precision`` of the face class: only when the split
      holds both faces and non-faces. On a faces-only split (the LFWA and
      demo test splits) accuracy would just be the face recall and
      precision 100 % by construction; precision is 0 when nothing is
      predicted a face (scikit-learn's convention).
    - ``num_faces`` and ``num_non_faces``: the evaluated samples.

    Args:
        threshold (float): A crop is predicted a face when its score is
            >= ``threshold``. Defaults to 0.5.
        collect_device (str): Device used to collect results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to
            ``default_prefix`` (``'face_cls'``).
    """
    default_prefix: Optional[str] = 'face_cls'

    def __init__(self,
                 threshold: float = 0.5,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        check_threshold(threshold)
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.threshold = threshold

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Store the face label and face score of each sample.

        Args:
            data_batch (dict): A batch from the dataloader (unused).
            data_samples (Sequence[dict]): ``DetDataSample.to_dict()`` of
                each sample, with metainfo ``face_label`` and
                ``pred_instances.scores``.
        """
        for sample in data_samples:
            label = sample.get('face_label')
            if label is None:
                gt_labels = sample.get('gt_instances', {}).get('labels')
                label = FACE if gt_labels is not None and len(
                    gt_labels) > 0 else NON_FACE
            label = int(label)
            if label not in (FACE, NON_FACE):
                # Part faces train box regression only. One entry per
                # sample keeps distributed collection (drops padding) right.
                self.results.append(None)
                continue
            scores = to_numpy(
                sample.get('pred_instances', {}).get('scores'), np.float32)
            score = float(scores.reshape(-1)[0]) if (
                scores is not None and scores.size) else 0.0
            self.results.append(dict(label=label, score=score))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Compute accuracy, precision and recall of the face class.

        Args:
            results (list[dict]): The per-sample results of :meth:`process`.

        Returns:
            dict[str, float]: The metrics of the class docstring that the
            split can measure.
        """
        results = [r for r in results if r is not None]
        labels = np.array([r['label'] for r in results], dtype=bool)
        preds = np.array([r['score'] for r in results]) >= self.threshold
        num_faces, num_non_faces = int(labels.sum()), int((~labels).sum())
        true_pos = int((preds & labels).sum())
        metrics = dict(num_faces=num_faces, num_non_faces=num_non_faces)
        if num_faces:
            metrics['recall'] = true_pos / num_faces * 100
        if num_non_faces:
            metrics['non_face_recall'] = int(
                (~preds & ~labels).sum()) / num_non_faces * 100
        if num_faces and num_non_faces:
            metrics['accuracy'] = int((preds == labels).sum()) / len(
                labels) * 100
            metrics['precision'] = (true_pos / int(preds.sum()) *
                                    100 if preds.any() else 0.0)
        else:
            missing = 'non-faces' if num_faces else 'faces'
            print_log(
                f'FaceClassificationAccuracy: the split has no {missing}, '
                'so accuracy and precision are not measured',
                logger='current')
        return metrics
