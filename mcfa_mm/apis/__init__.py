from .inference import (build_inference_pipeline, inference_faces,
                        top_attributes)

__all__ = ['inference_faces', 'build_inference_pipeline', 'top_attributes']
