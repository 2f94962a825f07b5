"""Small builders shared by the tests, benchmarks and docs examples."""
from .demo_faces import DEMO_ATTRIBUTES, generate_demo_faces
from .fake_layouts import write_fake_layouts
from .hostile_files import write_png_bomb
from .model_builders import random_face_samples, tiny_mcfa_config
from .scripts import run_script
from .toy_datasets import RandomFaceCrops, crops_loader

__all__ = [
    'DEMO_ATTRIBUTES', 'generate_demo_faces', 'tiny_mcfa_config',
    'random_face_samples', 'write_fake_layouts', 'RandomFaceCrops',
    'crops_loader', 'run_script', 'write_png_bomb'
]
