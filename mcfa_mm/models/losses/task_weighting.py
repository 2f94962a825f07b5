"""How the per-task losses of a multi-task head add up to one loss."""
import math
from typing import Dict, Sequence

import torch
import torch.nn as nn
from torch import Tensor

from mmdet.registry import MODELS

#: Tasks whose loss is a regression (Gaussian likelihood in Kendall et al.).
REGRESSION_TASKS = ('bbox', 'landmark')


def task_of(loss_name: str) -> str:
    """``'l_loss_landmark'`` -> ``'landmark'``; ``'loss_cls'`` -> ``'cls'``."""
    return loss_name.rsplit('loss_', 1)[-1]


@MODELS.register_module()
class UncertaintyTaskWeighting(nn.Module):
    """Learned homoscedastic-uncertainty weights (Kendall et al., CVPR 2018).

    Each loss ``L_k`` gets a learned log variance ``s_k`` and becomes
    ``c_k * exp(-s_k) * L_k + s_k / 2``, with ``c_k = 1/2`` for
    regressions (box, landmarks) and 1 for classifications (face, the
    attributes). Minimising over ``s_k`` gives ``exp(s_k) = 2 c_k L_k``: a
    task whose loss is large is turned down, one whose loss is small is
    turned up, until each contributes about the same.

    The regularisers are returned as ``loss_uncertainty`` and the current
    multipliers ``c_k * exp(-s_k)`` as ``weight_<name>`` (logged, not
    summed into the loss: the name holds no ``loss``).

    Args:
        loss_names (Sequence[str]): The head's loss keys, e.g.
            ``('s_loss_cls', 's_loss_bbox', ...)``; one ``s_k`` each.
        init_log_variance (float): Initial ``s_k``; 0 starts every
            multiplier at ``c_k``.
        regression_tasks (Sequence[str]): Tasks with ``c_k = 1/2``.
    """

    def __init__(self,
                 loss_names: Sequence[str],
                 init_log_variance: float = 0.0,
                 regression_tasks: Sequence[str] = REGRESSION_TASKS) -> None:
        super().__init__()
        self.loss_names = tuple(loss_names)
        if not self.loss_names:
            raise ValueError('UncertaintyTaskWeighting needs loss names')
        self.log_variances = nn.Parameter(
            torch.full((len(self.loss_names), ), float(init_log_variance)))
        self.register_buffer(
            'factors',
            torch.tensor([
                0.5 if task_of(name) in regression_tasks else 1.0
                for name in self.loss_names
            ]),
            persistent=False)

    def multipliers(self) -> Tensor:
        """Current ``c_k * exp(-s_k)``, in ``loss_names`` order."""
        return self.factors * torch.exp(-self.log_variances)

    def forward(self, losses: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """Reweight ``losses`` and add the regulariser.

        Args:
            losses (dict[str, Tensor]): Unweighted losses; keys not in
                ``loss_names`` (accuracies, ...) pass unchanged.

        Returns:
            dict[str, Tensor]: Weighted losses, ``loss_uncertainty`` and
            ``weight_<name>`` for each weighted loss.
        """
        weighted = dict(losses)
        multipliers = self.multipliers()
        regulariser = []
        for index, name in enumerate(self.loss_names):
            if name not in losses:
                continue
            weighted[name] = multipliers[index] * losses[name]
            regulariser.append(0.5 * self.log_variances[index])
            weighted['weight_' + name.replace('loss_', '')] = \
                multipliers[index].detach()
        if regulariser:
            weighted['loss_uncertainty'] = torch.stack(regulariser).sum()
        return weighted

    def extra_repr(self) -> str:
        return f'loss_names={self.loss_names}'


def optimal_log_variance(loss: float, regression: bool) -> float:
    """Where :class:`UncertaintyTaskWeighting` settles for a fixed loss.

    Args:
        loss (float): The task's (constant) loss.
        regression (bool): Whether ``c_k = 1/2``.

    Returns:
        float: ``log(2 c_k L)``.
    """
    return math.log(2 * (0.5 if regression else 1.0) * loss)
