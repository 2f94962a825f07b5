"""Attribute decisions: each attribute present or absent, at the thresholds
the model ships with.

A published checkpoint (``tools/model_converters/publish_model.py
--attribute-thresholds``) carries per-attribute thresholds fitted on CelebA
val in ``meta['dataset_meta']['attribute_thresholds']`` (a dict attribute
name -> threshold). They live in ``dataset_meta`` rather than beside it
because MMDetection's ``init_detector`` and ``DetInferencer`` copy
``dataset_meta`` into ``model.dataset_meta``: the thresholds reach the model
with no second read of the checkpoint. A checkpoint without them decides
every attribute at :data:`DEFAULT_ATTRIBUTE_THRESHOLD` (0.5), the threshold
of the training loss's sigmoid and of ``AttributeAccuracy``'s plain
accuracy.
"""
import math
from typing import Dict, Mapping, Optional, Sequence, Union

import torch
from mmdet.structures import DetDataSample

from ..datasets.metainfo import attribute_names

#: Threshold of every attribute when the checkpoint has none.
DEFAULT_ATTRIBUTE_THRESHOLD = 0.5

ThresholdsType = Union[Mapping[str, float], Sequence[float]]


def normalize_attribute_thresholds(
        thresholds: ThresholdsType,
        names: Sequence[str],
        source: str = 'attribute_thresholds') -> Dict[str, float]:
    """Validate thresholds and return them as ``{name: threshold}``.

    Args:
        thresholds (Mapping[str, float] | Sequence[float]): One threshold
            per attribute: by name, or a list in ``names`` order.
        names (Sequence[str]): The model's attribute names, in score-column
            order.
        source (str): What the thresholds came from, for the messages.

    Returns:
        dict[str, float]: One finite threshold in [0, 1] per name, in
        ``names`` order.

    Raises:
        ValueError: A name is missing or unknown, the list has the wrong
            length, or a value is not a number in [0, 1].
    """
    names = [str(name) for name in names]
    if isinstance(thresholds, Mapping):
        missing = [name for name in names if name not in thresholds]
        unknown = [name for name in thresholds if name not in names]
        if missing or unknown:
            raise ValueError(
                f'{source}: thresholds must name exactly the model\'s '
                f'{len(names)} attributes; missing {missing}, unknown '
                f'{unknown}')
        values = [thresholds[name] for name in names]
    elif isinstance(thresholds, (list, tuple)):
        if len(thresholds) != len(names):
            raise ValueError(
                f'{source}: {len(thresholds)} thresholds for the model\'s '
                f'{len(names)} attributes')
        values = list(thresholds)
    else:
        raise ValueError(f'{source}: thresholds must be a dict name -> '
                         f'float or a list, got {type(thresholds).__name__}')
    result = {}
    for name, value in zip(names, values):
        # bool is an int: a JSON true is no threshold
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or not math.isfinite(value) or not 0 <= value <= 1):
            raise ValueError(f'{source}: threshold of {name} must be a '
                             f'number in [0, 1], got {value!r}')
        result[name] = float(value)
    return result


def attribute_thresholds(dataset_meta: Optional[dict],
                         num_attributes: int) -> torch.Tensor:
    """The decision threshold of each attribute column.

    Args:
        dataset_meta (dict, optional): The model's ``dataset_meta``; its
            ``attribute_thresholds`` (by name or in column order) are used
            when present.
        num_attributes (int): Number of attribute columns.

    Returns:
        Tensor: ``(num_attributes,)`` float32 thresholds;
        :data:`DEFAULT_ATTRIBUTE_THRESHOLD` everywhere without
        ``attribute_thresholds``.

    Raises:
        ValueError: The stored thresholds do not fit the attributes.
    """
    names = attribute_names(dataset_meta, num_attributes)
    stored = (dataset_meta or {}).get('attribute_thresholds')
    if stored is None:
        return torch.full((num_attributes, ), DEFAULT_ATTRIBUTE_THRESHOLD)
    values = normalize_attribute_thresholds(stored, names,
                                            'dataset_meta').values()
    return torch.tensor(list(values), dtype=torch.float32)


def add_attribute_decisions(result: DetDataSample,
                            thresholds: torch.Tensor) -> DetDataSample:
    """Set ``pred_instances.attribute_decisions``: score >= threshold.

    ``>=`` as ``AttributeAccuracy`` decides, so a decision here is the
    decision the published accuracies were measured with.

    Args:
        result (DetDataSample): A prediction with
            ``pred_instances.attribute_scores`` ``(K, d)``.
        thresholds (Tensor): ``(d,)`` thresholds, from
            :func:`attribute_thresholds`.

    Returns:
        DetDataSample: ``result``, with ``attribute_decisions`` ``(K, d)``
        bool added (unchanged when it has no attribute scores).
    """
    pred = result.get('pred_instances')
    if pred is None or 'attribute_scores' not in pred:
        return result
    scores = pred.attribute_scores
    pred.attribute_decisions = scores >= thresholds.to(scores.device,
                                                       scores.dtype)
    return result
