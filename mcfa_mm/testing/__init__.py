"""Fixtures shared by the tests and benchmarks: tiny models, random crops,
fake dataset layouts, hostile files and a script runner. The demo-face
generator that the quick start runs is product code and lives in
:mod:`mcfa_mm.datasets.demo_faces`."""
from .fake_layouts import write_fake_layouts
from .hostile_files import write_png_bomb
from .model_builders import random_face_samples, tiny_mcfa_config
from .scripts import run_script
from .toy_datasets import RandomFaceCrops, crops_loader

__all__ = [
    'tiny_mcfa_config', 'random_face_samples', 'write_fake_layouts',
    'RandomFaceCrops', 'crops_loader', 'run_script', 'write_png_bomb'
]
