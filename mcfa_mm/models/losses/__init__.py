from .dynamic_weight_loss import WEIGHTING_MODES, DynamicWeightAttributeLoss
from .task_weighting import (UncertaintyTaskWeighting, optimal_log_variance,
                             task_of)
from .wing_loss import WingLoss, wing_loss

__all__ = [
    'DynamicWeightAttributeLoss', 'WEIGHTING_MODES', 'UncertaintyTaskWeighting',
    'WingLoss', 'optimal_log_variance', 'task_of', 'wing_loss'
]
