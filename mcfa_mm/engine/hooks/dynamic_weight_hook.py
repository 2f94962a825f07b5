"""Log MCFA's dynamic attribute weights (paper, Eqs. 6, 7) during training."""
import logging
from typing import Dict, List, Optional, Sequence

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch import Tensor

from mmdet.registry import HOOKS
from ...datasets.metainfo import attribute_names as meta_attribute_names

DATA_BATCH = Optional[dict]


@HOOKS.register_module()
class DynamicWeightLoggerHook(Hook):
    """Record the dynamic weights ``mu`` of every stage while training.

    Every ``interval`` training iterations the hook reads
    ``model.dynamic_weights()`` (``{stage: (d,)}``, the batch mean of the
    weights of the last step) and

    - puts ``train/dyn_weight/{stage}/{attribute}`` and
      ``train/dyn_weight/{stage}/entropy`` into the message hub. MMEngine's
      ``LogProcessor`` forwards every ``train/`` scalar, so the
      ``LoggerHook`` writes them to the text log, ``vis_data/scalars.json``
      and every visualizer backend (e.g. TensorBoard);
    - optionally writes the same scalars straight to the visualizer at the
      current step (useful when ``interval`` differs from the logger's).

    ``tools/analysis_tools/plot_logs.py`` plots them from ``scalars.json``.

    The hook runs at ``NORMAL`` priority, i.e. before the ``LoggerHook``
    (``BELOW_NORMAL``) of the same iteration, so aligned intervals log fresh
    values.

    Args:
        interval (int): Log every ``interval`` training iterations.
        stages (Sequence[str], optional): Stages whose per-attribute weights
            go to the message hub; all by default. Entropies of every stage
            are always logged. Restricting this keeps the text log short
            (40 attributes x 3 stages per line).
        add_to_visualizer (bool): Also call ``runner.visualizer.add_scalars``
            with the hook's own step. Off by default because the
            ``LoggerHook`` already forwards the message-hub scalars.
    """

    priority = 'NORMAL'

    def __init__(self,
                 interval: int = 50,
                 stages: Optional[Sequence[str]] = None,
                 add_to_visualizer: bool = False) -> None:
        if interval <= 0:
            raise ValueError(f'interval must be > 0, got {interval}')
        self.interval = interval
        self.stages = None if stages is None else tuple(stages)
        self.add_to_visualizer = add_to_visualizer
        self._warned = False

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        """Log the weights every ``interval`` iterations.

        Args:
            runner (Runner): The training runner.
            batch_idx (int): Index of the batch in the epoch.
            data_batch (dict, optional): Unused.
            outputs (dict, optional): Unused.
        """
        if not self.every_n_train_iters(runner, self.interval):
            return
        weights = self._read_weights(runner)
        if not weights:
            return
        step = runner.iter + 1
        scalars = {}
        for stage, vector in weights.items():
            values = vector.detach().float().cpu().tolist()
            names = attribute_names(runner, len(values))
            entropy = weight_entropy(vector)
            scalars[f'dyn_weight/{stage}/entropy'] = entropy
            if self.stages is None or stage in self.stages:
                scalars.update({
                    f'dyn_weight/{stage}/{name}': value
                    for name, value in zip(names, values)
                })

        for key, value in scalars.items():
            runner.message_hub.update_scalar(f'train/{key}', value)
        if self.add_to_visualizer:
            runner.visualizer.add_scalars(scalars, step=step)

    def _read_weights(self, runner) -> Dict[str, Tensor]:
        """The model's ``dynamic_weights()``, DDP wrappers removed."""
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        if not hasattr(model, 'dynamic_weights'):
            if not self._warned:
                print_log(
                    f'{type(model).__name__} has no dynamic_weights(); '
                    'DynamicWeightLoggerHook logs nothing',
                    logger='current',
                    level=logging.WARNING)
                self._warned = True
            return {}
        return model.dynamic_weights()


def weight_entropy(weights: Tensor) -> float:
    """Shannon entropy (nats) of a weight vector, renormalised to sum 1.

    ``log(d)`` means uniform weights; 0 means all weight on one attribute.

    Args:
        weights (Tensor): Non-negative weights ``(d,)``.

    Returns:
        float: The entropy, 0 for an all-zero vector.
    """
    weights = weights.detach().float().clamp(min=0)
    total = weights.sum()
    if total <= 0:
        return 0.0
    probs = weights / total
    return float(-(probs * probs.clamp(min=1e-12).log()).sum())


def attribute_names(runner, num: int) -> List[str]:
    """Attribute names of the training set (see
    :func:`mcfa_mm.datasets.metainfo.attribute_names`).

    Args:
        runner (Runner): The runner whose ``train_dataloader`` is built.
        num (int): Number of weights to name.

    Returns:
        list[str]: ``num`` names.
    """
    dataloader = getattr(runner, 'train_dataloader', None)
    dataset = getattr(dataloader, 'dataset', None)
    return meta_attribute_names(getattr(dataset, 'metainfo', None), num)


__all__ = ['DynamicWeightLoggerHook', 'weight_entropy', 'attribute_names']
