"""Small builders shared by the tests, benchmarks and docs examples."""
from .model_builders import tiny_mcfa_config, random_face_samples

__all__ = ['tiny_mcfa_config', 'random_face_samples']
