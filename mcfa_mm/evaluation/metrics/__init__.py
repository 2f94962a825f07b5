from .attribute_metric import AttributeAccuracy
from .face_cls_metric import FaceClassificationAccuracy
from .landmark_metric import LandmarkNME
from .utils import match_faces, to_numpy

__all__ = [
    'AttributeAccuracy', 'FaceClassificationAccuracy', 'LandmarkNME',
    'match_faces', 'to_numpy'
]
