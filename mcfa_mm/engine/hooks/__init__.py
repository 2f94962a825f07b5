from .checkpoint_fit_hook import CheckpointFitHook
from .dynamic_weight_hook import DynamicWeightLoggerHook
from .invalid_loss_hook import CheckFiniteLossHook

__all__ = [
    'CheckpointFitHook', 'CheckFiniteLossHook', 'DynamicWeightLoggerHook'
]
