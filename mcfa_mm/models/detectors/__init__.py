from .mcfa import MCFA, PREDICT_MODES, to_original_image

__all__ = ['MCFA', 'PREDICT_MODES', 'to_original_image']
