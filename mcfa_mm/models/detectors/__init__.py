from .cascade import (CascadeFaceFinder, calibrate_boxes, decode_landmarks,
                      square_boxes)
from .mcfa import MCFA, PREDICT_MODES, to_original_image

__all__ = [
    'MCFA', 'PREDICT_MODES', 'to_original_image', 'CascadeFaceFinder',
    'calibrate_boxes', 'decode_landmarks', 'square_boxes'
]
