from .dynamic_weight_hook import DynamicWeightLoggerHook

__all__ = ['DynamicWeightLoggerHook']
