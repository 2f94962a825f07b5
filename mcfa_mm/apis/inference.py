"""Run a trained MCFA on images: every face, its landmarks and attributes."""
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.dataset import pseudo_collate

from mmdet.structures import DetDataSample

ImageType = Union[str, np.ndarray]


def build_inference_pipeline(mode: str, input_size: int,
                             from_array: bool) -> Compose:
    """The pipeline :func:`inference_faces` feeds images through.

    Args:
        mode (str): ``'crop'`` (the image is one face crop: resize it to the
            network input) or ``'cascade'`` (whole image, kept as it is).
        input_size (int): The network's input side.
        from_array (bool): Images are BGR arrays rather than paths.

    Returns:
        Compose: The pipeline.
    """
    load = dict(type='mmdet.LoadImageFromNDArray' if from_array else
                'LoadImageFromFile')
    steps = [load]
    if mode == 'crop':
        steps.append(dict(type='FaceResize', scale=(input_size, input_size),
                          keep_ratio=False))
    steps.append(dict(type='PackFaceInputs',
                      meta_keys=('img_path', 'ori_shape', 'img_shape',
                                 'scale_factor')))
    return Compose(steps)


def inference_faces(model: torch.nn.Module,
                    images: Union[ImageType, Sequence[ImageType]],
                    mode: Optional[str] = None,
                    batch_size: int = 8) -> Union[DetDataSample,
                                                  List[DetDataSample]]:
    """Find faces, 5 landmarks and attributes in images.

    Args:
        model (MCFA): A model from :func:`mmdet.apis.init_detector`.
        images (str | ndarray | list): Paths or BGR arrays.
        mode (str, optional): ``'cascade'`` (whole photos, every face) or
            ``'crop'`` (each image is a face crop); defaults to the model's
            ``test_cfg.mode``.
        batch_size (int): Images per forward pass in crop mode.

    Returns:
        DetDataSample | list[DetDataSample]: ``pred_instances`` with
        ``bboxes``, ``scores``, ``keypoints`` (K, 5, 2) and
        ``attribute_scores`` (K, d) in image pixels; a list when a list was
        given.
    """
    single = not isinstance(images, (list, tuple))
    images = [images] if single else list(images)
    previous_mode = model.test_cfg['mode']
    mode = mode or previous_mode
    pipeline = build_inference_pipeline(
        mode, model.input_size, isinstance(images[0], np.ndarray))
    # whole images differ in size: one per batch in cascade mode
    step = batch_size if mode == 'crop' else 1
    results = []
    model.test_cfg['mode'] = mode
    try:
        for start in range(0, len(images), step):
            batch = []
            for image in images[start:start + step]:
                key = 'img' if isinstance(image, np.ndarray) else 'img_path'
                batch.append(pipeline({key: image, 'img_id': start}))
            with torch.no_grad():
                results.extend(model.test_step(pseudo_collate(batch)))
    finally:
        model.test_cfg['mode'] = previous_mode
    return results[0] if single else results


def top_attributes(data_sample: DetDataSample,
                   attribute_names: Sequence[str],
                   k: int = 5) -> List[List[tuple]]:
    """The ``k`` most likely attributes of each predicted face.

    Args:
        data_sample (DetDataSample): A result of :func:`inference_faces`.
        attribute_names (Sequence[str]): Names in score-column order.
        k (int): How many per face.

    Returns:
        list[list[tuple]]: Per face, ``(name, probability)`` pairs.
    """
    scores = data_sample.pred_instances.attribute_scores
    faces = []
    for row in scores:
        values, indices = row.topk(min(k, len(row)))
        faces.append([(attribute_names[i], float(v))
                      for v, i in zip(values, indices)])
    return faces
