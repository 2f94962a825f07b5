"""Wing loss for landmark and box regression (Feng et al., CVPR 2018)."""
import math
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

from mmdet.models.losses.utils import weighted_loss
from mmdet.registry import MODELS


@weighted_loss
def wing_loss(pred: Tensor, target: Tensor, omega: float = 10.0,
              epsilon: float = 2.0) -> Tensor:
    """Element-wise Wing loss.

    ``omega * ln(1 + |x| / epsilon)`` for ``|x| < omega``, else
    ``|x| - C`` with ``C = omega - omega * ln(1 + omega / epsilon)``, which
    joins the two pieces continuously.

    Args:
        pred (Tensor): Predictions.
        target (Tensor): Targets of the same shape.
        omega (float): Width of the logarithmic (non-linear) part.
        epsilon (float): Curvature of the logarithmic part.

    Returns:
        Tensor: The element-wise loss.
    """
    error = (pred - target).abs()
    constant = omega - omega * math.log(1.0 + omega / epsilon)
    return torch.where(error < omega,
                       omega * torch.log1p(error / epsilon),
                       error - constant)


@MODELS.register_module()
class WingLoss(nn.Module):
    """Wing loss: L1's constant gradient for large errors, a log for small.

    L2 hears small errors very little (its gradient vanishes with the
    error); L1 hears every error equally. Wing amplifies the small and
    medium ones (gradient ``omega / (epsilon + |x|)``), which is what a
    landmark regressor that is already roughly right needs.

    ``omega`` and ``epsilon`` are in the units of the targets. The paper's
    ``omega=10, epsilon=2`` are pixels of a 64 px face; MCFA's targets are
    fractions of the crop side, so its configs use ``omega=0.1,
    epsilon=0.02`` (the same shape for a face about 100 units wide).

    Args:
        omega (float): Width of the non-linear part. Defaults to 10.
        epsilon (float): Curvature of the non-linear part. Defaults to 2.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight (float): Multiplier of the loss.
    """

    def __init__(self,
                 omega: float = 10.0,
                 epsilon: float = 2.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if omega <= 0 or epsilon <= 0:
            raise ValueError(f'omega and epsilon must be positive, got '
                             f'omega={omega}, epsilon={epsilon}')
        self.omega = omega
        self.epsilon = epsilon
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Weighted Wing loss, mmdet's loss signature.

        Args:
            pred (Tensor): Predictions.
            target (Tensor): Targets of the same shape.
            weight (Tensor, optional): Element-wise weights.
            avg_factor (float, optional): Divisor of the summed loss.
            reduction_override (str, optional): Overrides ``reduction``.

        Returns:
            Tensor: The reduced loss times ``loss_weight``.
        """
        reduction = reduction_override or self.reduction
        return self.loss_weight * wing_loss(
            pred, target, weight, omega=self.omega, epsilon=self.epsilon,
            reduction=reduction, avg_factor=avg_factor)
