from .dynamic_weight_loss import WEIGHTING_MODES, DynamicWeightAttributeLoss

__all__ = ['DynamicWeightAttributeLoss', 'WEIGHTING_MODES']
