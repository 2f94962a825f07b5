from .attribute_decisions import (DEFAULT_ATTRIBUTE_THRESHOLD,
                                  add_attribute_decisions,
                                  attribute_thresholds,
                                  normalize_attribute_thresholds)
from .box_inference import build_box_pipeline, inference_faces_in_boxes
from .face_inferencer import FaceInferencer
from .inference import (build_inference_pipeline, inference_faces,
                        init_face_model, load_image, top_attributes)
from .model_zoo import (DEFAULT_MODEL, get_config_file, get_model,
                        list_models, load_metafile)
from .onnx_export import CropFaceNet, SNetFaceMap, export_onnx

__all__ = [
    'inference_faces', 'init_face_model', 'build_inference_pipeline',
    'load_image', 'top_attributes', 'DEFAULT_MODEL', 'get_model',
    'get_config_file', 'list_models', 'load_metafile', 'export_onnx',
    'CropFaceNet', 'SNetFaceMap', 'inference_faces_in_boxes',
    'build_box_pipeline', 'FaceInferencer', 'DEFAULT_ATTRIBUTE_THRESHOLD',
    'attribute_thresholds', 'add_attribute_decisions',
    'normalize_attribute_thresholds'
]
