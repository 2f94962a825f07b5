from .annotation_files import (AnnotationError, check_same_ids,
                               parse_attr_file, parse_bbox_file,
                               parse_identity_file, parse_landmark_file,
                               parse_partition_file, read_attr_names,
                               write_annotation_file)
from .celeba import CelebADataset
from .collate import InlineInstanceData, face_collate, inline_instances
from .demo_faces import DEMO_ATTRIBUTES, generate_demo_faces
from .lfwa import LFWADataset
from .metainfo import (ATTRIBUTE_IGNORE, CELEBA_ATTRIBUTES, FACE,
                       LANDMARK_FLIP_INDICES, LANDMARK_FLIP_PAIRS,
                       LANDMARK_NAMES, NON_FACE, PART_FACE, attribute_names,
                       face_metainfo, flip_permutation)
from .transforms import *  # noqa: F401,F403
from .wild_faces import WildFaceDataset

__all__ = [
    'ATTRIBUTE_IGNORE', 'CELEBA_ATTRIBUTES', 'FACE', 'LANDMARK_FLIP_INDICES',
    'LANDMARK_FLIP_PAIRS', 'LANDMARK_NAMES', 'NON_FACE', 'PART_FACE',
    'face_metainfo', 'flip_permutation', 'attribute_names', 'AnnotationError',
    'check_same_ids', 'parse_attr_file', 'parse_bbox_file',
    'parse_identity_file', 'parse_landmark_file', 'parse_partition_file',
    'read_attr_names', 'write_annotation_file', 'CelebADataset', 'LFWADataset',
    'WildFaceDataset', 'DEMO_ATTRIBUTES', 'generate_demo_faces',
    'InlineInstanceData', 'face_collate', 'inline_instances'
]
