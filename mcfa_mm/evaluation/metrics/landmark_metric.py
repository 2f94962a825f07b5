"""Normalised mean error (NME) and failure rate of the 5 facial landmarks."""
import logging
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet.registry import METRICS
from mmengine.logging import print_log
from terminaltables import AsciiTable

from mcfa_mm.datasets.metainfo import LEFT_EYE_INDEX, RIGHT_EYE_INDEX
from mcfa_mm.utils.pixel_mapping import to_original_pixels
from .matched_face_metric import MatchedFaceMetric
from .utils import to_numpy


@METRICS.register_module()
class LandmarkNME(MatchedFaceMetric):
    """NME of facial landmarks, with failure rate and missed faces.

    Per face, NME = mean over the landmarks of ||pred - gt|| / norm, where
    ``norm`` is chosen by ``norm_mode``:

    - ``'inter_ocular'``: distance between the ground-truth left eye (index
      0) and right eye (index 1). CelebA's 5-point sets mark the eye
      centres, so this is the inter-pupil distance of MTCNN's evaluation.
    - ``'bbox_size'``: sqrt(w * h) of the ground-truth box (the AFLW /
      RetinaFace "box size" convention).
    - ``'bbox_diagonal'``: sqrt(w^2 + h^2) of the ground-truth box.

    Only ground-truth faces whose landmarks are all visible
    (``keypoints_visible``) are evaluated. Predictions are paired with them
    by ``match_mode``; a face without a matching prediction is *missed*.

    Metrics:

    - ``nme`` (%): mean NME over the **matched** faces only, so that it
      measures landmark quality separately from detection.
    - ``failure_rate`` (%): faces with NME > ``failure_threshold`` plus the
      missed faces, over all evaluated faces.
    - ``num_faces``: evaluated faces (matched + missed).
    - ``missed``: faces without a matching prediction.

    Ground truth and predictions must be in the same frame. Predictions are
    in original-image pixels. mcfa-mm's test pipelines load annotations
    *before* ``CropFace`` / ``FaceResize`` (the crop needs the box), so the
    gt arrives in network-input pixels and ``rescale_gt=True`` (the default)
    maps it back with the sample's ``scale_factor`` and ``crop_offset``. For
    MMDetection-style pipelines that load annotations after ``Resize``, set
    ``rescale_gt=False``. Flipped test samples are not supported.

    Args:
        norm_mode (str): ``'inter_ocular'``, ``'bbox_size'`` or
            ``'bbox_diagonal'``. Defaults to ``'inter_ocular'``.
        failure_threshold (float): A face whose NME (as a fraction, not %)
            exceeds this is a failure. Defaults to 0.10.
        match_mode (str): ``'first'`` (crop mode: the first prediction is the
            first face), ``'iou'`` (cascade mode: each face takes the
            unclaimed prediction box of highest IoU >= ``match_iou``) or
            ``'auto'`` (``'first'`` for a sample with one prediction and one
            face, ``'iou'`` otherwise). Defaults to ``'auto'``.
        match_iou (float): Minimum IoU of a match in the IoU mode.
            Defaults to 0.5.
        rescale_gt (bool): Map gt keypoints and boxes to original-image
            pixels (divide by ``scale_factor``, add ``crop_offset``).
            Defaults to True.
        collect_device (str): Device used to collect results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to
            ``default_prefix`` (``'landmark'``).
    """
    default_prefix: Optional[str] = 'landmark'
    NORM_MODES = ('inter_ocular', 'bbox_size', 'bbox_diagonal')

    def __init__(self,
                 norm_mode: str = 'inter_ocular',
                 failure_threshold: float = 0.10,
                 match_mode: str = 'auto',
                 match_iou: float = 0.5,
                 rescale_gt: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        if norm_mode not in self.NORM_MODES:
            raise ValueError(f'norm_mode must be one of {self.NORM_MODES}, '
                             f'got {norm_mode!r}')
        if failure_threshold <= 0:
            raise ValueError('failure_threshold must be > 0 (a fraction of '
                             f'the normaliser), got {failure_threshold}')
        super().__init__(
            match_mode=match_mode,
            match_iou=match_iou,
            collect_device=collect_device,
            prefix=prefix)
        self.norm_mode = norm_mode
        self.failure_threshold = failure_threshold
        self.rescale_gt = rescale_gt

    def process_sample(self, sample: dict) -> Optional[dict]:
        """The matched landmark pairs and the missed faces of a sample.

        Args:
            sample (dict): ``DetDataSample.to_dict()`` of the sample, with
                ``gt_instances.keypoints`` and ``pred_instances.keypoints``.

        Returns:
            dict | None: ``pred_keypoints``, ``gt_keypoints`` and
            ``gt_bboxes`` of the matched faces and ``num_missed``; ``None``
            for a sample without a fully visible landmark set.
        """
        gt = sample.get('gt_instances', {})
        gt_kpts = to_numpy(gt.get('keypoints'), np.float32)
        num_gts = 0 if gt_kpts is None else len(gt_kpts)
        if num_gts:
            gt_kpts = gt_kpts.reshape(num_gts, -1, 2)
            visible = to_numpy(gt.get('keypoints_visible'))
            keep = (np.ones(num_gts, dtype=bool) if visible is None else
                    (visible.reshape(num_gts, -1) > 0).all(axis=1))
        if not num_gts or not keep.any():
            return None
        gt_kpts = gt_kpts[keep]
        gt_bboxes = to_numpy(gt.get('bboxes'), np.float32)
        if gt_bboxes is not None:
            gt_bboxes = gt_bboxes.reshape(num_gts, 4)[keep]
        elif self.norm_mode != 'inter_ocular':
            raise ValueError(f'norm_mode={self.norm_mode!r} needs '
                             'gt_instances.bboxes')
        if self.rescale_gt:
            gt_kpts, gt_bboxes = self._rescale(
                gt_kpts, gt_bboxes, sample.get('scale_factor', (1., 1.)),
                sample.get('crop_offset', (0., 0.)))

        pred = sample.get('pred_instances', {})
        pred_kpts = to_numpy(pred.get('keypoints'), np.float32)
        if pred_kpts is None:
            pred_kpts = np.zeros((0, ) + gt_kpts.shape[1:], np.float32)
        pred_kpts = pred_kpts.reshape((-1, ) + gt_kpts.shape[1:])
        matches = self.match_sample(
            len(gt_kpts), len(pred_kpts), gt_bboxes, pred)

        found = matches >= 0
        if gt_bboxes is None:
            # Only inter-ocular NME gets here; it never reads the boxes.
            gt_bboxes = np.zeros((len(gt_kpts), 4), np.float32)
        return dict(
            pred_keypoints=pred_kpts[matches[found]],
            gt_keypoints=gt_kpts[found],
            gt_bboxes=gt_bboxes[found],
            num_missed=int((matches == -1).sum()))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Compute NME and failure rate from the stored landmark pairs.

        Args:
            results (list[dict]): The per-sample results of :meth:`process`.

        Returns:
            dict[str, float]: ``nme`` (%), ``failure_rate`` (%),
            ``num_faces`` and ``missed``.
        """
        results = [r for r in results if r is not None]
        missed = sum(r['num_missed'] for r in results)
        if results:
            pred = np.concatenate([r['pred_keypoints'] for r in results])
            gt = np.concatenate([r['gt_keypoints'] for r in results])
            boxes = np.concatenate([r['gt_bboxes'] for r in results])
        else:
            pred = gt = np.zeros((0, 0, 2), np.float32)
            boxes = np.zeros((0, 4), np.float32)

        norm = self._normaliser(gt, boxes)
        # A zero normaliser (coincident eyes, empty box) is a labelling
        # error: NME is undefined there, so the face is left out.
        valid = norm > 0
        if not valid.all():
            print_log(
                f'LandmarkNME: {int((~valid).sum())} face(s) with a zero '
                f'{self.norm_mode} normaliser are left out',
                logger='current',
                level=logging.WARNING)
        pred, gt, norm = pred[valid], gt[valid], norm[valid]

        # (M, num_landmarks) point errors in units of the normaliser.
        errors = np.linalg.norm(pred - gt, axis=-1) / norm[:, None]
        face_nme = errors.mean(axis=1)
        num_faces = len(face_nme) + missed
        failures = int((face_nme > self.failure_threshold).sum()) + missed
        nan = float('nan')
        metrics = dict(
            nme=float(face_nme.mean() * 100) if len(face_nme) else nan,
            failure_rate=failures / num_faces * 100 if num_faces else nan,
            num_faces=num_faces,
            missed=missed)
        self._log_table(errors, metrics)
        return metrics

    def _normaliser(self, gt: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """Per-face normalising distance.

        Args:
            gt (np.ndarray): (M, num_landmarks, 2) ground-truth landmarks.
            boxes (np.ndarray): (M, 4) ground-truth xyxy boxes.

        Returns:
            np.ndarray: (M,) normalising distances in pixels.
        """
        if self.norm_mode == 'inter_ocular':
            if len(gt) == 0:
                return np.zeros(0, np.float32)
            return np.linalg.norm(
                gt[:, LEFT_EYE_INDEX] - gt[:, RIGHT_EYE_INDEX], axis=-1)
        w = np.clip(boxes[:, 2] - boxes[:, 0], 0, None)
        h = np.clip(boxes[:, 3] - boxes[:, 1], 0, None)
        if self.norm_mode == 'bbox_size':
            return np.sqrt(w * h)
        return np.sqrt(w**2 + h**2)

    @staticmethod
    def _rescale(kpts: np.ndarray, boxes: Optional[np.ndarray],
                 scale_factor: Sequence[float],
                 crop_offset: Sequence[float]) -> tuple:
        """Undo the test-time crop and resize of gt keypoints and boxes.

        Args:
            kpts (np.ndarray): (N, num_landmarks, 2) keypoints.
            boxes (np.ndarray, optional): (N, 4) xyxy boxes.
            scale_factor (Sequence[float]): (w_scale, h_scale) of ``Resize``.
            crop_offset (Sequence[float]): (x, y) of the crop's origin.

        Returns:
            tuple: The keypoints and boxes in original-image pixels.
        """
        kpts = to_original_pixels(kpts, scale_factor, crop_offset)
        if boxes is not None:
            boxes = to_original_pixels(boxes, scale_factor, crop_offset)
        return kpts, boxes

    def _log_table(self, errors: np.ndarray, metrics: Dict[str,
                                                           float]) -> None:
        """Log the NME of each landmark and the summary numbers."""
        names = list((self.dataset_meta or {}).get('landmark_names') or [])
        if len(names) != errors.shape[1]:
            names = [f'kpt_{i}' for i in range(errors.shape[1])]
        rows = [['landmark', f'NME (%, {self.norm_mode})']]
        if len(errors):
            for name, err in zip(names, errors.mean(axis=0) * 100):
                rows.append([name, f'{err:.2f}'])
        rows.append(['mean', f"{metrics['nme']:.2f}"])
        table = AsciiTable(rows)
        table.inner_footing_row_border = True
        print_log(
            '\n' + table.table +
            f"\nfailure rate (NME > {self.failure_threshold:.0%}): "
            f"{metrics['failure_rate']:.2f}% of {metrics['num_faces']} "
            f"faces, {metrics['missed']} missed",
            logger='current')
