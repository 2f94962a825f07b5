from .face_visualizer import FaceVisualizer

__all__ = ['FaceVisualizer']
