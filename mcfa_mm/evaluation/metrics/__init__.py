from .attribute_metric import AttributeAccuracy
from .face_cls_metric import FaceClassificationAccuracy
from .landmark_metric import LandmarkNME
from .matched_face_metric import MatchedFaceMetric
from .utils import match_faces, to_numpy

__all__ = [
    'AttributeAccuracy', 'FaceClassificationAccuracy', 'LandmarkNME',
    'MatchedFaceMetric', 'match_faces', 'to_numpy'
]
