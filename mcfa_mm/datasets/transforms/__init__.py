"""Face transforms; importing this module registers them in mmdet's
``TRANSFORMS``."""
from .formatting import PackFaceInputs
from .hard_negatives import HardNegativeCrop, read_negatives_file
from .loading import LoadFaceAnnotations, LoadFaceImageFromFile
from .mining import CropFace, MineFaceSample
from .transforms import FaceColorJitter, FaceRandomFlip, FaceResize

__all__ = [
    'LoadFaceImageFromFile', 'LoadFaceAnnotations', 'MineFaceSample',
    'CropFace', 'FaceResize', 'FaceRandomFlip', 'FaceColorJitter',
    'PackFaceInputs', 'HardNegativeCrop', 'read_negatives_file'
]
