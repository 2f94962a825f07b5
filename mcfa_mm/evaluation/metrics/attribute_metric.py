"""Facial attribute accuracy: the mean per-attribute accuracy of the papers,
plus balanced accuracy, which the majority-value floor cannot inflate."""
import logging
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmdet.registry import METRICS
from mmengine.fileio import dump, load
from mmengine.logging import print_log
from terminaltables import AsciiTable

from mcfa_mm.datasets.metainfo import ATTRIBUTE_IGNORE
from .matched_face_metric import MatchedFaceMetric
from .utils import check_threshold, gt_boxes_to_original, to_numpy

#: Candidate thresholds when fitting them on a validation split.
THRESHOLD_GRID = np.round(np.arange(0.02, 0.99, 0.01), 2)
#: What fitted thresholds maximise (see :func:`fit_thresholds`).
FIT_OBJECTIVES = ('balanced', 'accuracy')


def binarize(scores: np.ndarray, gt: np.ndarray,
             thresholds: Union[float, np.ndarray]) -> np.ndarray:
    """Predicted labels: ``score >= threshold``; a missed face (NaN score)
    gets the wrong label ``1 - gt``.

    Args:
        scores (np.ndarray): (M, d) probabilities, NaN for missed faces.
        gt (np.ndarray): (M, d) true labels.
        thresholds (float | np.ndarray): One threshold or (d,) of them.

    Returns:
        np.ndarray: (M, d) labels 0 / 1.
    """
    with np.errstate(invalid='ignore'):
        pred = (scores >= thresholds).astype(np.int64)
    missed = np.isnan(scores)
    pred[missed] = 1 - gt[missed]
    return pred


def fit_thresholds(scores: np.ndarray,
                   gt: np.ndarray,
                   grid: np.ndarray = THRESHOLD_GRID,
                   objective: str = 'balanced') -> np.ndarray:
    """Per-attribute threshold that maximises balanced accuracy (or plain
    accuracy, ``objective='accuracy'``).

    Ties go to the threshold nearest 0.5; an attribute with one class only
    (or no labels) keeps 0.5.

    Args:
        scores (np.ndarray): (M, d) probabilities, NaN for missed faces.
        gt (np.ndarray): (M, d) labels 1 / 0 / -1 unknown.
        grid (np.ndarray): Candidate thresholds.
        objective (str): ``'balanced'`` (what users of rare attributes
            need) or ``'accuracy'`` (the papers' mean accuracy).

    Returns:
        np.ndarray: (d,) thresholds.
    """
    if objective not in FIT_OBJECTIVES:
        raise ValueError(f'objective must be one of {FIT_OBJECTIVES}, got '
                         f'{objective!r}')
    pos = (gt == 1) & ~np.isnan(scores)
    neg = (gt == 0) & ~np.isnan(scores)
    above = scores[None] >= grid[:, None, None]  # (G, M, d)
    true_pos, true_neg = (above & pos).sum(1), (~above & neg).sum(1)
    with np.errstate(divide='ignore', invalid='ignore'):
        if objective == 'balanced':
            score = (true_pos / pos.sum(0) + true_neg / neg.sum(0)) / 2
        else:
            score = (true_pos + true_neg) / (pos | neg).sum(0)  # (G, d)
    # prefer thresholds near 0.5 among equals: subtract a tiny penalty
    score = score - 1e-9 * np.abs(grid - 0.5)[:, None]
    best = grid[np.nanargmax(np.nan_to_num(score, nan=-1.0), axis=0)]
    one_class = (pos.sum(0) == 0) | (neg.sum(0) == 0)
    return np.where(one_class, 0.5, best).astype(np.float32)


@METRICS.register_module()
class AttributeAccuracy(MatchedFaceMetric):
    """Per-attribute binary accuracy of facial attributes.

    Reads ``gt_instances.attributes`` (N, d) with 1 present / 0 absent / -1
    unknown and ``pred_instances.attribute_scores`` (K, d) sigmoid
    probabilities. A face is evaluated when it has at least one known
    attribute; unknown labels (-1) are ignored everywhere. A face the model
    did not find (no matching prediction) counts as wrong on each of its
    known attributes and is counted in ``num_missed``.

    Metrics (in %, each attribute weighs the same):

    - ``mean_accuracy``: mean over attributes of the per-attribute accuracy,
      the number the attribute papers report.
    - ``balanced_accuracy``: mean over attributes of (TPR + TNR) / 2. An
      attribute whose labels hold one class only uses that class's rate.
      Unlike plain accuracy it scores the "always predict the majority
      value" classifier at 50%.
    - ``acc/<name>``: per-attribute accuracy, when ``per_attribute=True``.
    - ``num_samples`` / ``num_missed``: faces evaluated / faces missed.
    - ``mean_accuracy_thr`` / ``balanced_accuracy_thr``: the same with
      per-attribute thresholds read from ``thresholds`` (fitted on a
      validation split for balanced accuracy), when given.
    - ``mean_accuracy_thr_acc`` / ``balanced_accuracy_thr_acc``: the same
      with the thresholds fitted for plain accuracy, when the
      ``thresholds`` file holds them (files from ``fit_thresholds_to`` do).
    - ``balanced_accuracy_fit`` / ``mean_accuracy_fit``: with
      ``fit_thresholds_to``, each at the thresholds just fitted for it on
      THIS split (optimistic: only meaningful as a validation number).

    Rare attributes score poorly at 0.5: a model that learned them often
    puts their probabilities below it. Thresholds that maximise each
    attribute's balanced accuracy on validation (``fit_thresholds_to`` on
    the val evaluator), then applied to test (``thresholds`` on the test
    evaluator), measure what a user of rare attributes gets.

    A table of per-attribute accuracy, balanced accuracy and positive rates
    is logged as well.

    Args:
        threshold (float): An attribute is predicted present when its score
            is >= ``threshold``. Defaults to 0.5.
        per_attribute (bool): Also return ``acc/<name>`` for each attribute.
            Defaults to True.
        match_mode (str): How ground-truth faces are paired with predictions
            (see :func:`~mcfa_mm.evaluation.metrics.utils.match_faces`):
            ``'first'`` (crop mode: the first prediction is the first face),
            ``'iou'`` (cascade mode: match boxes by IoU) or ``'auto'``
            (``'first'`` when the sample has one prediction and one face,
            else ``'iou'``). Defaults to ``'auto'``.
        match_iou (float): Minimum IoU of a match in the IoU mode.
            Defaults to 0.5.
        thresholds (str | Sequence[float], optional): Per-attribute
            thresholds, or a JSON file written by ``fit_thresholds_to``,
            for the ``*_thr`` metrics. Defaults to None.
        fit_thresholds_to (str, optional): Fit per-attribute thresholds
            on this split and write them to this JSON file:
            ``{"attribute_names": [...], "thresholds": [...],
            "accuracy_thresholds": [...]}``, maximising balanced accuracy
            and plain accuracy respectively. Defaults to None.
        collect_device (str): Device used to collect results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to
            ``default_prefix`` (``'attr'``).
    """
    default_prefix: Optional[str] = 'attr'

    def __init__(self,
                 threshold: float = 0.5,
                 per_attribute: bool = True,
                 match_mode: str = 'auto',
                 match_iou: float = 0.5,
                 thresholds: Union[str, Sequence[float], None] = None,
                 fit_thresholds_to: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        check_threshold(threshold)
        super().__init__(
            match_mode=match_mode,
            match_iou=match_iou,
            collect_device=collect_device,
            prefix=prefix)
        self.threshold = threshold
        self.per_attribute = per_attribute
        self.thresholds = thresholds
        self.fit_thresholds_to = fit_thresholds_to

    def process_sample(self, sample: dict) -> Optional[dict]:
        """The predicted scores and true labels of a sample's faces.

        Args:
            sample (dict): ``DetDataSample.to_dict()`` of the sample, with
                ``gt_instances.attributes`` and
                ``pred_instances.attribute_scores``.

        Returns:
            dict | None: ``pred_scores`` (NaN for a missed face),
            ``gt_labels`` and ``num_missed``; ``None`` for a sample without
            attribute labels (non-face crops, the landmark-only sets).
        """
        gt = sample.get('gt_instances', {})
        gt_labels = to_numpy(gt.get('attributes'), np.int64)
        if gt_labels is not None:
            gt_labels = np.atleast_2d(gt_labels)  # (d,) -> (1, d)
        if gt_labels is None or not (gt_labels != ATTRIBUTE_IGNORE).any():
            return None
        keep = (gt_labels != ATTRIBUTE_IGNORE).any(axis=1)
        gt_labels = gt_labels[keep]
        gt_bboxes = gt_boxes_to_original(
            to_numpy(gt.get('bboxes'), np.float32), sample)

        pred = sample.get('pred_instances', {})
        scores = to_numpy(pred.get('attribute_scores'), np.float32)
        num_preds = 0 if scores is None else len(scores)
        matches = self.match_sample(
            len(gt_labels), num_preds,
            None if gt_bboxes is None else gt_bboxes[keep], pred)

        evaluated = matches != -2
        matches, gt_labels = matches[evaluated], gt_labels[evaluated]
        # A missed face has no scores (NaN): it will count as wrong on
        # every known attribute, whatever the threshold.
        pred_scores = np.full(gt_labels.shape, np.nan, np.float32)
        found = matches >= 0
        if found.any():
            pred_scores[found] = scores[matches[found]]
        return dict(
            pred_scores=pred_scores,
            gt_labels=gt_labels.astype(np.int8),
            num_missed=int((~found).sum()))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Compute the attribute metrics from the stored labels.

        Args:
            results (list[dict]): The per-sample results of :meth:`process`.

        Returns:
            dict[str, float]: ``mean_accuracy``, ``balanced_accuracy``,
            ``num_samples``, ``num_missed`` and, with ``per_attribute``,
            ``acc/<name>`` for each attribute that has labels.
        """
        results = [r for r in results if r is not None]
        if not results:
            print_log(
                'AttributeAccuracy: no sample carried attribute labels',
                logger='current',
                level=logging.WARNING)
            return dict(
                mean_accuracy=float('nan'),
                balanced_accuracy=float('nan'),
                num_samples=0,
                num_missed=0)
        gt = np.concatenate([r['gt_labels'] for r in results])
        scores = np.concatenate([r['pred_scores'] for r in results])
        stats = self._attribute_stats(binarize(scores, gt, self.threshold),
                                      gt)
        names = self._attribute_names(gt.shape[1])

        labelled = stats['num_labelled'] > 0
        metrics = dict(
            mean_accuracy=float(stats['accuracy'][labelled].mean() * 100),
            balanced_accuracy=float(stats['balanced'][labelled].mean() * 100),
            num_samples=len(gt),
            num_missed=sum(r['num_missed'] for r in results))
        if self.per_attribute:
            for i in np.flatnonzero(labelled):
                metrics[f'acc/{names[i]}'] = float(stats['accuracy'][i] * 100)
        if self.thresholds is not None:
            for suffix, values in self._load_thresholds(names).items():
                (metrics[f'mean_accuracy_{suffix}'],
                 metrics[f'balanced_accuracy_{suffix}']) = self._stats_at(
                     scores, gt, values, labelled)
        if self.fit_thresholds_to:
            balanced = fit_thresholds(scores, gt)
            accuracy = fit_thresholds(scores, gt, objective='accuracy')
            dump(dict(attribute_names=names,
                      thresholds=balanced.tolist(),
                      accuracy_thresholds=accuracy.tolist()),
                 self.fit_thresholds_to, indent=1)
            metrics['balanced_accuracy_fit'] = self._stats_at(
                scores, gt, balanced, labelled)[1]
            metrics['mean_accuracy_fit'] = self._stats_at(
                scores, gt, accuracy, labelled)[0]
        self._log_table(names, stats, metrics)
        return metrics

    def _stats_at(self, scores: np.ndarray, gt: np.ndarray,
                  thresholds: np.ndarray, labelled: np.ndarray) -> tuple:
        """Mean and balanced accuracy (%) at per-attribute thresholds."""
        stats = self._attribute_stats(binarize(scores, gt, thresholds), gt)
        return (float(stats['accuracy'][labelled].mean() * 100),
                float(stats['balanced'][labelled].mean() * 100))

    def _load_thresholds(self, names: List[str]) -> Dict[str, np.ndarray]:
        """``thresholds`` as (d,) arrays in the order of ``names``: ``thr``
        (given, or a file's balanced-accuracy thresholds) and ``thr_acc``
        (a file's accuracy thresholds, when it has them)."""
        values = self.thresholds
        loaded = {}
        if isinstance(values, str):
            saved = load(values)
            if list(saved['attribute_names']) != list(names):
                raise ValueError(
                    f'{values} holds thresholds for attributes '
                    f'{saved["attribute_names"]}, not {names}')
            loaded['thr'] = saved['thresholds']
            if 'accuracy_thresholds' in saved:
                loaded['thr_acc'] = saved['accuracy_thresholds']
        else:
            loaded['thr'] = values
        for key, array in loaded.items():
            array = np.asarray(array, dtype=np.float32).reshape(-1)
            if len(array) != len(names):
                raise ValueError(f'{len(array)} thresholds for '
                                 f'{len(names)} attributes')
            loaded[key] = array
        return loaded

    @staticmethod
    def _attribute_stats(pred: np.ndarray,
                         gt: np.ndarray) -> Dict[str, np.ndarray]:
        """Per-attribute counts and rates, vectorised over (faces, attrs).

        Args:
            pred (np.ndarray): (M, d) predicted labels, 0 / 1.
            gt (np.ndarray): (M, d) true labels, 0 / 1 / -1 unknown.

        Returns:
            dict[str, np.ndarray]: (d,) arrays ``num_labelled``,
            ``accuracy``, ``balanced``, ``gt_pos_rate``, ``pred_pos_rate``;
            rates are NaN for an attribute without labels.
        """
        known = gt != ATTRIBUTE_IGNORE
        pos, neg = gt == 1, gt == 0
        pred_pos = (pred == 1) & known
        num_known, num_pos, num_neg = known.sum(0), pos.sum(0), neg.sum(0)
        with np.errstate(divide='ignore', invalid='ignore'):
            accuracy = ((pred == gt) & known).sum(0) / num_known
            tpr = (pred_pos & pos).sum(0) / num_pos
            tnr = (~pred_pos & neg).sum(0) / num_neg
            gt_pos_rate = num_pos / num_known
            pred_pos_rate = pred_pos.sum(0) / num_known
        # With one class only in the labels, the other rate is undefined:
        # use the rate that exists rather than dropping the attribute.
        balanced = np.where((num_pos > 0) & (num_neg > 0), (tpr + tnr) / 2,
                            np.where(num_pos > 0, tpr, tnr))
        return dict(
            num_labelled=num_known,
            accuracy=accuracy,
            balanced=balanced,
            gt_pos_rate=gt_pos_rate,
            pred_pos_rate=pred_pos_rate)

    def _attribute_names(self, num_attributes: int) -> List[str]:
        """Attribute names from the dataset meta, or ``attr_<i>``."""
        names = (self.dataset_meta or {}).get('attribute_names')
        if names is None:
            return [f'attr_{i}' for i in range(num_attributes)]
        if len(names) != num_attributes:
            raise ValueError(
                f'dataset_meta has {len(names)} attribute_names but the '
                f'labels have {num_attributes} attributes')
        return list(names)

    @staticmethod
    def _log_table(names: List[str], stats: Dict[str, np.ndarray],
                   metrics: Dict[str, float]) -> None:
        """Log per-attribute accuracy, balanced accuracy and positive rates.

        The majority-value floor (mean of max(pos rate, neg rate)) is logged
        under the table: on CelebA it is about 80%, which puts a mean
        accuracy in perspective.
        """

        def pct(value: float) -> str:
            return '-' if np.isnan(value) else f'{value * 100:.2f}'

        rows = [[
            'attribute', 'accuracy', 'balanced acc.', 'gt pos. rate',
            'pred pos. rate', 'labelled'
        ]]
        for i, name in enumerate(names):
            rows.append([
                name,
                pct(stats['accuracy'][i]),
                pct(stats['balanced'][i]),
                pct(stats['gt_pos_rate'][i]),
                pct(stats['pred_pos_rate'][i]),
                str(stats['num_labelled'][i])
            ])
        rows.append([
            'mean', f"{metrics['mean_accuracy']:.2f}",
            f"{metrics['balanced_accuracy']:.2f}", '', '',
            str(metrics['num_samples'])
        ])
        table = AsciiTable(rows)
        table.inner_footing_row_border = True
        labelled = stats['num_labelled'] > 0
        pos_rate = stats['gt_pos_rate'][labelled]
        floor = np.maximum(pos_rate, 1 - pos_rate).mean() * 100
        print_log(
            '\n' + table.table + f'\nmajority-value floor: {floor:.2f}%',
            logger='current')
