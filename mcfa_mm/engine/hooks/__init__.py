from .checkpoint_fit_hook import CheckpointFitHook
from .dynamic_weight_hook import DynamicWeightLoggerHook
from .invalid_loss_hook import CheckFiniteLossHook
from .task_gradient_hook import TaskGradientShareHook, task_gradient_norms

__all__ = [
    'CheckpointFitHook', 'CheckFiniteLossHook', 'DynamicWeightLoggerHook',
    'TaskGradientShareHook', 'task_gradient_norms'
]
