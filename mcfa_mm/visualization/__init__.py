from .face_drawer import DEFAULT_MAX_SIDE, draw_faces, fit_longest_side
from .face_visualizer import FaceVisualizer

__all__ = [
    'FaceVisualizer', 'draw_faces', 'fit_longest_side', 'DEFAULT_MAX_SIDE'
]
