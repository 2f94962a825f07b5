"""Run a trained MCFA on images: every face, its landmarks and attributes."""
import os.path as osp
import warnings
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.dataset import pseudo_collate

from mmdet.apis import init_detector
from mmdet.structures import DetDataSample
from ..datasets.metainfo import attribute_names
from ..models.detectors.cascade import cascade_settings
from ..models.detectors.mcfa import PREDICT_MODES
from ..utils.image_io import DEFAULT_MAX_IMAGE_PIXELS, read_image_reduced
from .attribute_decisions import (add_attribute_decisions,
                                  attribute_thresholds,
                                  normalize_attribute_thresholds)
from .box_inference import inference_faces_in_boxes
from .model_zoo import get_model

ImageType = Union[str, np.ndarray]

#: Box colour of the demos (mmdet's palette for the single class 'face').
FACE_PALETTE = [(0, 255, 0)]


def init_face_model(config: Optional[str] = None,
                    checkpoint: Optional[str] = None,
                    device: str = 'cpu',
                    mode: Optional[str] = None,
                    cfg_options: Optional[dict] = None,
                    predict_only: bool = True,
                    fuse_conv_bn: Optional[bool] = None) -> torch.nn.Module:
    """Build an MCFA ready for :func:`inference_faces`.

    With no ``config`` and no ``checkpoint`` this is the model the
    repository ships (:data:`~mcfa_mm.apis.model_zoo.DEFAULT_MODEL` of
    ``configs/mcfa/metafile.yml``), in cascade mode: it finds every face of
    whole photos. ``config`` may also name another model of the metafile.

    Weights load through :func:`mmdet.apis.init_detector`, i.e. with
    ``torch.load(weights_only=True)`` once :mod:`mcfa_mm` is imported.
    ``model.dataset_meta`` always holds ``attribute_names`` (the
    checkpoint's; else CelebA's 40 when the model predicts 40; else
    ``attr_{i}``), ``classes=('face',)`` and a palette, so the
    visualiser and :func:`top_attributes` need nothing else. It also holds
    ``attribute_thresholds`` (``{name: threshold}``) when the checkpoint
    was published with them; without them every attribute is decided at
    0.5 (see :mod:`~mcfa_mm.apis.attribute_decisions`).

    Args:
        config (str | Config, optional): Config file or object, or the
            ``Name`` of a model of the metafile; the shipped model by
            default.
        checkpoint (str, optional): Checkpoint file; with a config file and
            no checkpoint the weights stay random (as ``init_detector``).
        device (str): Device, e.g. ``'cpu'`` or ``'cuda:0'``.
        mode (str, optional): ``'cascade'`` or ``'crop'`` (sets
            ``test_cfg.mode``); by default ``'cascade'`` for a model of the
            metafile and the config's own mode for a config file.
        cfg_options (dict, optional): Overrides merged into the config;
            e.g. ``{'model.test_cfg.precision': 'fp32'}`` to predict in
            fp32 where the config says bf16.
        predict_only (bool): Make the model faster at prediction, and
            only good for it: fold every BatchNorm into its convolution
            (:meth:`MCFA.fuse_conv_bn`) and store the weights in
            ``test_cfg.precision``'s dtype (:meth:`MCFA.cast_to_precision`;
            bf16 configs). Both leave the outputs as they were. Pass False
            to fine-tune the model or to change its precision later.
        fuse_conv_bn (bool, optional): The name of ``predict_only`` before
            2026-12-06 (it only folded BatchNorm then); deprecated.

    Returns:
        MCFA: The model, in eval mode on ``device``.

    Raises:
        ValueError: A checkpoint without a config, or an unknown mode.
        FileNotFoundError: The metafile, a config or the weights is missing.
        KeyError: ``config`` is neither a file nor a model of the metafile.
    """
    if mode is not None and mode not in PREDICT_MODES:
        raise ValueError(f'mode must be one of {PREDICT_MODES}, got {mode!r}')
    if config is None and checkpoint is not None:
        raise ValueError(f'checkpoint {checkpoint!r} given without its '
                         'config: pass config= too')
    if config is None or (isinstance(config, str)
                          and not config.endswith('.py')
                          and not osp.isfile(config)):
        # a model of the metafile, by name (None: the default model)
        config, zoo_checkpoint = get_model(config)
        checkpoint = checkpoint or zoo_checkpoint
        mode = mode or 'cascade'
    model = init_detector(config, checkpoint, palette=FACE_PALETTE,
                          device=device, cfg_options=cfg_options)
    if mode is not None:
        model.test_cfg['mode'] = mode
    num_attributes = model.head.num_attributes
    meta = dict(model.dataset_meta or {})
    names = attribute_names(meta, num_attributes)
    # without MCFA meta, init_detector fell back to COCO's 80 classes
    meta.update(classes=('face', ), attribute_names=tuple(names))
    if meta.get('attribute_thresholds') is not None:
        # fitted thresholds published with the checkpoint (by name); the
        # checkpoint is untrusted input, so a bad entry fails here, named
        meta['attribute_thresholds'] = normalize_attribute_thresholds(
            meta['attribute_thresholds'], names,
            f'{checkpoint}: attribute_thresholds')
    model.dataset_meta = meta
    if fuse_conv_bn is not None:
        warnings.warn(
            'init_face_model(fuse_conv_bn=...) is now predict_only=... '
            '(which also casts the weights to the prediction precision)',
            FutureWarning)
        predict_only = fuse_conv_bn
    if predict_only:
        model.fuse_conv_bn().cast_to_precision()
    return model


def build_inference_pipeline(mode: str, input_size: int) -> Compose:
    """The steps :func:`inference_faces` runs on a loaded image.

    Args:
        mode (str): ``'crop'`` (the image is one face crop: resize it to the
            network input) or ``'cascade'`` (whole image, kept as it is).
        input_size (int): The network's input side.

    Returns:
        Compose: The pipeline, from a results dict with ``img`` on.
    """
    steps = []
    if mode == 'crop':
        steps.append(dict(type='FaceResize', scale=(input_size, input_size),
                          keep_ratio=False))
    steps.append(dict(type='PackFaceInputs',
                      meta_keys=('img_id', 'img_path', 'ori_shape',
                                 'img_shape', 'scale_factor')))
    return Compose(steps)


def load_image(image: ImageType,
               img_id: int,
               max_side: Optional[int] = None,
               max_image_pixels: Optional[int] = DEFAULT_MAX_IMAGE_PIXELS
               ) -> dict:
    """The results dict of one image, as mmcv's ``LoadImageFromFile``
    makes it, read with :func:`mcfa_mm.utils.image_io.read_image_reduced`.

    Args:
        image (str | ndarray): A path or a BGR array (used as it is).
        img_id (int): The image's index in the call.
        max_side (int, optional): The longest side the caller uses: a file
            is decoded reduced by up to 8 while its longer side stays at
            least this (see :func:`~mcfa_mm.utils.image_io.reduction_factor`).
            None: full size.
        max_image_pixels (int, optional): Refuse a file whose header
            declares more pixels, before decoding it; None or 0: no limit.

    Returns:
        dict: ``img``, ``img_path`` (None for arrays), ``img_id``,
        ``img_shape`` (of ``img``), ``ori_shape`` (of the file) and
        ``scale_factor`` (``img`` over the file, ``(w, h)``: the model maps
        its results back to the file's pixels with it).

    Raises:
        FaceImageError: The file is missing, empty, truncated, too large or
            no image.
    """
    path = None
    scale_factor = (1., 1.)
    if not isinstance(image, np.ndarray):
        path = str(image)
        image, ori_shape, scale_factor = read_image_reduced(
            path, max_side, max_image_pixels=max_image_pixels)
    else:
        ori_shape = image.shape[:2]
    return dict(img=image, img_path=path, img_id=img_id,
                img_shape=image.shape[:2], ori_shape=tuple(ori_shape),
                scale_factor=scale_factor)


def decode_limits(test_cfg: dict,
                  mode: str) -> Tuple[Optional[int], Optional[int]]:
    """How files are decoded for a model: the longest side to decode to
    (the cascade never searches more than ``cascade.max_pyramid_side``, so a
    large JPEG is decoded reduced to it; None in crop mode) and the largest
    image accepted (``max_image_pixels``).

    Args:
        test_cfg (dict): The model's ``test_cfg``.
        mode (str): ``'cascade'`` or ``'crop'``.

    Returns:
        tuple: ``max_side`` and ``max_image_pixels`` for :func:`load_image`.
    """
    max_side = cascade_settings(test_cfg.get('cascade'))[
        'max_pyramid_side'] if mode == 'cascade' else None
    return max_side, test_cfg.get('max_image_pixels',
                                  DEFAULT_MAX_IMAGE_PIXELS)


def inference_faces(model: torch.nn.Module,
                    images: Union[ImageType, Sequence[ImageType]],
                    mode: Optional[str] = None,
                    batch_size: int = 8,
                    bboxes=None) -> Union[DetDataSample,
                                          List[DetDataSample]]:
    """Find faces, 5 landmarks and attributes in images.

    Args:
        model (MCFA): A model from :func:`init_face_model` or
            :func:`mmdet.apis.init_detector`.
        images (str | ndarray | list): Paths or BGR arrays.
        mode (str, optional): ``'cascade'`` (whole photos, every face) or
            ``'crop'`` (each image is a face crop); defaults to the model's
            ``test_cfg.mode``.
        batch_size (int): Images per forward pass in crop mode.
        bboxes (optional): Face boxes found by any detector: for one image,
            ``(K, 4)`` xyxy pixels or a detector's result; for a list, one
            such entry per image. Each box is cropped as the test pipelines
            crop a labelled box and ``mode`` is not used; see
            :func:`~mcfa_mm.apis.inference_faces_in_boxes`, whose results
            (with ``face_scores`` and ``refined_bboxes``) are returned.

    Returns:
        DetDataSample | list[DetDataSample]: ``pred_instances`` with
        ``bboxes``, ``scores``, ``keypoints`` (K, 5, 2) and
        ``attribute_scores`` (K, d) in image pixels, and
        ``attribute_decisions`` (K, d) bool, score >= the model's
        ``dataset_meta['attribute_thresholds']`` (0.5 without them);
        ``metainfo['img_id']`` is the image's index in ``images``. A list
        when a list was given.

    Raises:
        FaceImageError: A path is missing, empty, truncated or no image, or
            declares more than ``test_cfg.max_image_pixels`` pixels
            (default :data:`~mcfa_mm.utils.image_io.DEFAULT_MAX_IMAGE_PIXELS`;
            see :func:`mcfa_mm.utils.read_image`).

    Note:
        In cascade mode a large JPEG path is decoded reduced, to no less
        than ``test_cfg.cascade.max_pyramid_side`` (the largest size the
        cascade searches), and the results are mapped back to the file's
        pixels.
        Pass a decoded array to search the full resolution.
    """
    single = not isinstance(images, (list, tuple))
    images = [images] if single else list(images)
    if bboxes is not None:
        per_image = [bboxes] if single else list(bboxes)
        if len(per_image) != len(images):
            raise ValueError(f'bboxes must hold one entry per image: '
                             f'{len(per_image)} for {len(images)} images')
        results = [
            inference_faces_in_boxes(model, image, boxes,
                                     batch_size=batch_size)
            for image, boxes in zip(images, per_image)
        ]
        return results[0] if single else results
    previous_mode = model.test_cfg['mode']
    mode = mode or previous_mode
    pipeline = build_inference_pipeline(mode, model.input_size)
    # whole images differ in size: one per batch in cascade mode
    step = batch_size if mode == 'crop' else 1
    max_side, max_pixels = decode_limits(model.test_cfg, mode)
    results = []
    model.test_cfg['mode'] = mode
    try:
        for start in range(0, len(images), step):
            batch = [
                pipeline(
                    load_image(image, start + offset, max_side, max_pixels))
                for offset, image in enumerate(images[start:start + step])
            ]
            with torch.no_grad():
                results.extend(model.test_step(pseudo_collate(batch)))
    finally:
        model.test_cfg['mode'] = previous_mode
    # a model built without init_face_model / init_detector has no meta
    thresholds = attribute_thresholds(getattr(model, 'dataset_meta', None),
                                      model.head.num_attributes)
    for result in results:
        add_attribute_decisions(result, thresholds)
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
