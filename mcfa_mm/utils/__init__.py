from .atomic_file_backend import AtomicLocalBackend, atomic_write
from .checkpoint_safety import (CheckpointError, check_checkpoint_fits,
                                checkpoint_mismatch, load_weights_only,
                                mmengine_checkpoint_globals,
                                register_safe_checkpoint_loader)
from .image_io import FaceImageError, read_image
from .pixel_mapping import to_original_pixels
from .version_check import REQUIRED_VERSIONS, check_versions

__all__ = [
    'check_versions', 'REQUIRED_VERSIONS', 'load_weights_only',
    'mmengine_checkpoint_globals', 'register_safe_checkpoint_loader',
    'FaceImageError', 'read_image', 'AtomicLocalBackend', 'atomic_write',
    'CheckpointError', 'check_checkpoint_fits', 'checkpoint_mismatch',
    'to_original_pixels'
]
