"""Stop training at the first non-finite loss, naming it."""
import math
from typing import Dict, Optional

from mmengine.hooks import Hook

from mmdet.registry import HOOKS


def non_finite_losses(log_vars: Dict) -> Dict[str, float]:
    """The loss entries of a training step's ``log_vars`` that are NaN or
    infinite.

    Args:
        log_vars (dict): ``train_step``'s outputs (name -> tensor / float).

    Returns:
        dict[str, float]: The non-finite ``loss*`` / ``*_loss_*`` entries.
    """
    bad = {}
    for name, value in log_vars.items():
        if 'loss' not in name:
            continue
        # a tensor that still carries its graph: read its value only
        value = float(value.detach() if hasattr(value, 'detach') else value)
        if not math.isfinite(value):
            bad[name] = value
    return bad


def describe_loss(name: str) -> str:
    """``'l_loss_attr'`` -> ``'l_loss_attr (stage l, task attr)'``."""
    stage, _, task = name.partition('_loss_')
    if not task:
        return name
    return f'{name} (stage {stage}, task {task})'


@HOOKS.register_module()
class CheckFiniteLossHook(Hook):
    """Raise as soon as a training loss is NaN or infinite.

    MMDetection's ``CheckInvalidLossHook`` checks only the total every 50
    iterations and fails with ``AssertionError: None``. This hook checks
    every loss the model logs, every ``interval`` iterations (1 by default:
    a handful of float comparisons), and raises ``FloatingPointError``
    naming the iteration and each non-finite loss with its stage and task,
    e.g. ``l_loss_attr (stage l, task attr) = nan``.

    It runs at ``VERY_HIGH`` priority, before the ``CheckpointHook``
    (``VERY_LOW``) of the same iteration: the step already applied the
    bad gradients, and those weights must not become a checkpoint that
    ``--resume`` would pick up.

    Args:
        interval (int): Check every ``interval`` training iterations.
            Defaults to 1.
    """

    priority = 'VERY_HIGH'

    def __init__(self, interval: int = 1) -> None:
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.interval = interval

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Check the losses of this iteration.

        Args:
            runner (Runner): The runner.
            batch_idx (int): Index of the batch in the epoch.
            data_batch (dict, optional): The batch.
            outputs (dict, optional): ``train_step``'s log variables.

        Raises:
            FloatingPointError: A loss is NaN or infinite.
        """
        if not outputs or not self.every_n_train_iters(runner, self.interval):
            return
        bad = non_finite_losses(outputs)
        if bad:
            losses = ', '.join(f'{describe_loss(name)} = {value}'
                               for name, value in bad.items())
            raise FloatingPointError(
                f'non-finite loss at iteration {runner.iter + 1} (epoch '
                f'{runner.epoch + 1}): {losses}. Training stopped before '
                'this step was checkpointed; lower the learning rate, '
                'check the data of this batch or resume from the last '
                'checkpoint.')
