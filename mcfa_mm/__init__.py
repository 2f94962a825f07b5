"""mcfa-mm: MCFA as an MMDetection 3.x plugin.

Importing this package (directly or through a config's
``custom_imports=dict(imports=['mcfa_mm'])``) registers every component into
MMDetection's registries and makes MMEngine load checkpoints with
weights-only ``torch.load`` and an allow-list of what its checkpoints hold.
Nothing else happens on import.
"""
from .utils.version_check import check_versions

check_versions()

from . import apis, datasets, engine, evaluation, models, visualization  # noqa: E402,F401,E501
from .utils.checkpoint_safety import register_safe_checkpoint_loader  # noqa: E402,E501
from .version import __version__, version_info  # noqa: E402

register_safe_checkpoint_loader()

__all__ = ['__version__', 'version_info', 'check_versions']
