"""Face transforms; importing this module registers them in mmdet's
``TRANSFORMS``."""
from .formatting import PackFaceInputs
from .loading import LoadFaceAnnotations, LoadFaceImageFromFile
from .mining import CropFace, MineFaceSample
from .transforms import FaceColorJitter, FaceRandomFlip, FaceResize

__all__ = [
    'LoadFaceImageFromFile', 'LoadFaceAnnotations', 'MineFaceSample',
    'CropFace', 'FaceResize', 'FaceRandomFlip', 'FaceColorJitter',
    'PackFaceInputs'
]
