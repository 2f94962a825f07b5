"""``FaceInferencer``: MCFA behind MMEngine's inferencer interface.

The same shape as MMDetection's ``DetInferencer`` (a model name of the
metafile or a config and its weights; inputs as a path, an array, a list or
a folder; batches; plain-dict predictions; pictures and JSON files on
request), for the faces, landmarks and attributes of
:func:`~mcfa_mm.apis.inference_faces`.

Example::

    from mcfa_mm.apis import FaceInferencer

    inferencer = FaceInferencer()  # the shipped model, whole photos
    result = inferencer('photos/', out_dir='outputs/vis',
                        pred_out_dir='outputs/preds')
    for prediction in result['predictions']:
        for face in prediction['faces']:
            print(face['bbox'], face['score'],
                  [name for name, present in
                   face['attribute_decisions'].items() if present])
"""
import os
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.fileio import dump
from mmengine.infer import BaseInferencer
from mmengine.registry import init_default_scope
from mmengine.utils import scandir
from rich.progress import track

from mmdet.structures import DetDataSample
from ..visualization.face_drawer import DEFAULT_MAX_SIDE, draw_faces
from .attribute_decisions import add_attribute_decisions, attribute_thresholds
from .inference import (build_inference_pipeline, decode_limits,
                        init_face_model, load_image)
from .model_zoo import DEFAULT_MODEL, get_model

InputType = Union[str, np.ndarray]
InputsType = Union[InputType, Sequence[InputType]]

#: Files a folder input is searched for (case-insensitive), as mmdet's.
IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif',
                  '.tiff', '.webp')


def list_images(folder: str) -> List[str]:
    """The image files below ``folder``, recursively, sorted.

    Args:
        folder (str): A folder.

    Returns:
        list[str]: Paths (``folder`` joined with each file's relative path)
        of the files whose extension is in :data:`IMG_EXTENSIONS`.
    """
    return sorted(
        osp.join(folder, name) for name in scandir(
            folder, IMG_EXTENSIONS, recursive=True, case_sensitive=False))


class FaceInferencer(BaseInferencer):
    """Find faces, their 5 landmarks and 40 attributes in photos.

    Built on :class:`mmengine.infer.BaseInferencer` as MMDetection's
    ``DetInferencer`` is. Each call streams its inputs chunk by chunk
    (load, forward, draw, write), so a folder of any size holds one chunk of
    photos in memory at a time.

    Images are read with :func:`~mcfa_mm.apis.load_image` exactly as
    :func:`~mcfa_mm.apis.inference_faces` reads them (a bad file raises
    :class:`~mcfa_mm.utils.FaceImageError` naming it; in cascade mode a
    large JPEG is decoded reduced to the cascade's ``max_pyramid_side``),
    and the predictions are the same: in the original photo's pixels, with
    per-attribute decisions at the checkpoint's thresholds (0.5 without
    them).

    Args:
        model (str | Config | dict, optional): A model ``Name`` of
            ``configs/mcfa/metafile.yml``, a config file or a config; the
            shipped model (:data:`~mcfa_mm.apis.DEFAULT_MODEL`) by default.
        weights (str, optional): Checkpoint; a metafile model's own by
            default. A config without weights keeps random weights.
        device (str, optional): ``'cpu'``, ``'cuda:0'``...; the available
            device by default.
        mode (str, optional): ``'cascade'`` (every face of whole photos) or
            ``'crop'`` (each image is one face crop); by default cascade for
            a metafile model and the config's ``test_cfg.mode`` otherwise.
        scope (str): Registry scope the model is built in. Defaults to
            ``'mmdet'``, where mcfa_mm registers its components.
        show_progress (bool): Show a progress bar over the chunks.
    """

    preprocess_kwargs: set = set()
    forward_kwargs: set = set()
    visualize_kwargs: set = {
        'return_vis', 'out_dir', 'out_file', 'pred_score_thr', 'topk',
        'attr_thr', 'vis_max_side'
    }
    postprocess_kwargs: set = {'pred_out_dir'}

    def __init__(self,
                 model: Union[str, Config, dict, None] = None,
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 mode: Optional[str] = None,
                 scope: str = 'mmdet',
                 show_progress: bool = True) -> None:
        if model is None:
            if weights is not None:
                # BaseInferencer would look for a config string inside the
                # checkpoint; published MCFA checkpoints hold only its path
                raise ValueError(f'weights {weights!r} given without a '
                                 'model: pass model= (a config or a model '
                                 'name) too')
            model = DEFAULT_MODEL
        self._mode = mode
        self._from_metafile = False
        # arrays have no name: number their pictures and JSON files
        self.num_unnamed_inputs = 0
        init_default_scope(scope)
        super().__init__(
            model=model,
            weights=weights,
            device=device,
            scope=scope,
            show_progress=show_progress)

    def _load_model_from_metafile(self, model: str) -> Tuple[Config, str]:
        """Config and weights of a model of our metafile, by name.

        Args:
            model (str): The model's ``Name``.

        Returns:
            tuple[Config, str]: The loaded config and the weights' path.

        Raises:
            FileNotFoundError: ``model`` is a missing ``.py`` file, or the
                model's config or weights are missing.
            KeyError: No model of that name.
        """
        if model.endswith('.py'):
            raise FileNotFoundError(f'{model}: config file not found')
        config, weights = get_model(model)
        self._from_metafile = True
        return Config.fromfile(config), weights

    def _init_model(self,
                    cfg: Config,
                    weights: Optional[str],
                    device: str = 'cpu') -> nn.Module:
        """The model of :func:`~mcfa_mm.apis.init_face_model`: weights
        loaded weights-only, ``dataset_meta`` with the attribute names and
        thresholds, in eval mode on ``device``."""
        mode = self._mode or ('cascade' if self._from_metafile else None)
        if not isinstance(cfg, Config):
            # a dict model= arrives as a ConfigDict; init_detector wants a
            # Config
            cfg = Config(cfg.to_dict() if hasattr(cfg, 'to_dict') else cfg)
        return init_face_model(cfg, weights, device=device, mode=mode)

    def _init_pipeline(self, cfg: Config):
        """What runs on a loaded image: the resize of crop mode, packing.

        Loading is not a pipeline step: :func:`load_image` needs the decode
        limits of the model (see :meth:`preprocess`), and the decoded image
        is kept for drawing.
        """
        return build_inference_pipeline(self.model.test_cfg['mode'],
                                        self.model.input_size)

    def _init_collate(self, cfg: Config):
        """``pseudo_collate``, as the test loaders of our configs use (the
        base class would look the config's ``collate_fn`` up in a scope
        whose function registry MMDetection does not have, and warn)."""
        return pseudo_collate

    def _init_visualizer(self, cfg: Config) -> None:
        """No MMEngine visualizer: pictures are drawn by :meth:`draw`
        (OpenCV, at a bounded size), not on a matplotlib canvas of the
        whole photo."""
        return None

    @property
    def attribute_names(self) -> Tuple[str, ...]:
        """The model's attribute names, in score-column order."""
        return tuple(self.model.dataset_meta['attribute_names'])

    def _inputs_to_list(self, inputs: InputsType) -> list:
        """A folder becomes its image files (recursively, sorted); a path or
        an array, a one-item list; a list or tuple stays as it is."""
        if isinstance(inputs, str) and osp.isdir(inputs):
            return list_images(inputs)
        if isinstance(inputs, (list, tuple)):
            return list(inputs)
        return [inputs]

    def _output_names(self, inputs: InputsType, items: list) -> List[str]:
        """File name of each input's picture: relative to a folder input,
        the base name of a path, a running number for an array."""
        names = []
        for item in items:
            if isinstance(item, np.ndarray):
                names.append(f'{self.num_unnamed_inputs:08d}.jpg')
                self.num_unnamed_inputs += 1
            elif isinstance(inputs, str) and osp.isdir(inputs):
                names.append(osp.relpath(item, inputs))
            else:
                names.append(osp.basename(str(item)))
        return names

    def preprocess(self,
                   inputs: list,
                   batch_size: int = 1,
                   **kwargs) -> Iterator[List[dict]]:
        """Load and pack the inputs, ``batch_size`` at a time.

        Args:
            inputs (list): Paths and BGR arrays.
            batch_size (int): Images per chunk.

        Yields:
            list[dict]: Per image of the chunk, the results dict of
            :func:`load_image` (``img`` is the decoded image) with the
            packed model input under ``packed``.

        Raises:
            FaceImageError: A file is missing, empty, truncated, too large
                or no image.
        """
        max_side, max_pixels = decode_limits(self.model.test_cfg,
                                             self.model.test_cfg['mode'])
        for start in range(0, len(inputs), batch_size):
            chunk = []
            for offset, item in enumerate(inputs[start:start + batch_size]):
                loaded = load_image(item, start + offset, max_side, max_pixels)
                # the pipeline may resize 'img': pack a shallow copy
                loaded['packed'] = self.pipeline(dict(loaded))
                chunk.append(loaded)
            yield chunk

    @torch.no_grad()
    def forward(self, inputs: List[dict], **kwargs) -> List[DetDataSample]:
        """Run the model on a chunk from :meth:`preprocess`.

        Crop mode runs the chunk as one batch. Cascade mode runs one photo
        at a time, as :func:`~mcfa_mm.apis.inference_faces` does: photos
        differ in size, and a batch would pad each to the largest.

        Args:
            inputs (list[dict]): A chunk of :meth:`preprocess`.

        Returns:
            list[DetDataSample]: One prediction per image, with
            ``attribute_decisions``.
        """
        packed = [item['packed'] for item in inputs]
        if self.model.test_cfg['mode'] == 'crop':
            preds = self.model.test_step(self.collate_fn(packed))
        else:
            preds = [
                self.model.test_step(self.collate_fn([one]))[0]
                for one in packed
            ]
        thresholds = attribute_thresholds(self.model.dataset_meta,
                                          self.model.head.num_attributes)
        return [add_attribute_decisions(pred, thresholds) for pred in preds]

    def draw(self,
             image: np.ndarray,
             pred: DetDataSample,
             pred_score_thr: float = 0.3,
             topk: int = 5,
             attr_thr: Optional[float] = None,
             max_side: Optional[int] = DEFAULT_MAX_SIDE) -> np.ndarray:
        """Draw a prediction on a copy of ``image`` (see
        :func:`~mcfa_mm.visualization.draw_faces`).

        Args:
            image (np.ndarray): BGR image: the photo, or a reduced decode of
                it (the prediction's ``ori_shape`` maps the pixels).
            pred (DetDataSample): A prediction of this inferencer.
            pred_score_thr (float): Minimum face score drawn.
            topk (int): Attributes written per face.
            attr_thr (float, optional): Probability above which an
                attribute is written; by default the face's decisions.
            max_side (int, optional): Longer side of the picture; None for
                the image's own size.

        Returns:
            np.ndarray: The BGR picture.
        """
        return draw_faces(
            image,
            pred.pred_instances,
            self.attribute_names,
            ori_shape=pred.metainfo.get('ori_shape', image.shape[:2]),
            score_thr=pred_score_thr,
            topk=topk,
            attr_thr=attr_thr,
            max_side=max_side)

    def visualize(
        self,
        inputs: List[dict],
        preds: List[DetDataSample],
        names: Sequence[str] = (),
        return_vis: bool = False,
        out_dir: str = '',
        out_file: str = '',
        pred_score_thr: float = 0.3,
        topk: int = 5,
        attr_thr: Optional[float] = None,
        vis_max_side: Optional[int] = DEFAULT_MAX_SIDE
    ) -> Optional[List[np.ndarray]]:
        """Draw a chunk's predictions and write the pictures.

        Args:
            inputs (list[dict]): The chunk of :meth:`preprocess` (its
                decoded images).
            preds (list[DetDataSample]): Their predictions.
            names (Sequence[str]): Output file name of each image.
            return_vis (bool): Return the pictures.
            out_dir (str): Write each picture to ``out_dir/<name>``.
            out_file (str): Write the picture of a single image exactly
                here.
            pred_score_thr (float): Minimum face score drawn.
            topk (int): Attributes written per face.
            attr_thr (float, optional): See :meth:`draw`.
            vis_max_side (int, optional): Longer side of the pictures
                (:data:`~mcfa_mm.visualization.DEFAULT_MAX_SIDE`, 1280);
                None or 0 for the photo's size.

        Returns:
            list[np.ndarray] | None: BGR pictures when ``return_vis``.
        """
        if not (return_vis or out_dir or out_file):
            return None
        pictures = []
        for item, pred, name in zip(inputs, preds, names):
            picture = self.draw(item['img'], pred, pred_score_thr, topk,
                                attr_thr, vis_max_side or None)
            path = out_file or (osp.join(out_dir, name) if out_dir else '')
            if path:
                # mmcv creates the folder; the extension picks the format
                mmcv.imwrite(picture, path)
            if return_vis:
                pictures.append(picture)
        return pictures if return_vis else None

    def pred2dict(self, pred: DetDataSample) -> Dict:
        """A prediction as plain, JSON-ready values.

        Args:
            pred (DetDataSample): A prediction of this inferencer.

        Returns:
            dict: ``img_path`` (None for an array) and ``faces``, best score
            first, each with ``bbox`` ``[x1, y1, x2, y2]`` and
            ``keypoints`` (5 ``[x, y]``: left eye, right eye, nose, left
            and right mouth corner) in the original photo's pixels,
            ``score``, ``attribute_scores`` ``{name: probability}`` and
            ``attribute_decisions`` ``{name: present}`` at the model's
            thresholds.
        """
        instances = pred.pred_instances.cpu()
        order = torch.argsort(instances.scores, descending=True).tolist()
        names = self.attribute_names
        faces = []
        for i in order:
            face = dict(
                bbox=[float(v) for v in instances.bboxes[i].tolist()],
                score=float(instances.scores[i]))
            if 'keypoints' in instances:
                face['keypoints'] = instances.keypoints[i].tolist()
            if 'attribute_scores' in instances:
                face['attribute_scores'] = dict(
                    zip(names, instances.attribute_scores[i].tolist()))
            if 'attribute_decisions' in instances:
                face['attribute_decisions'] = dict(
                    zip(names,
                        (bool(v)
                         for v in instances.attribute_decisions[i].tolist())))
            faces.append(face)
        return dict(img_path=pred.metainfo.get('img_path'), faces=faces)

    def postprocess(self,
                    preds: List[DetDataSample],
                    visualization: Optional[List[np.ndarray]] = None,
                    return_datasamples: bool = False,
                    names: Sequence[str] = (),
                    pred_out_dir: str = '') -> Dict:
        """Turn a chunk's predictions into dicts and write them.

        Args:
            preds (list[DetDataSample]): The chunk's predictions.
            visualization (list[np.ndarray], optional): Its pictures.
            return_datasamples (bool): Return the data samples themselves
                instead of dicts.
            names (Sequence[str]): Output file name of each image.
            pred_out_dir (str): Write each prediction's dict to
                ``pred_out_dir/<name without extension>.json``.

        Returns:
            dict: ``predictions`` (dicts of :meth:`pred2dict`, or the data
            samples) and ``visualization``.
        """
        dicts = [self.pred2dict(pred) for pred in preds]
        if pred_out_dir:
            for result, name in zip(dicts, names):
                path = osp.join(pred_out_dir, osp.splitext(name)[0] + '.json')
                os.makedirs(osp.dirname(path), exist_ok=True)
                dump(result, path, indent=2)
        return dict(
            predictions=preds if return_datasamples else dicts,
            visualization=visualization)

    def __call__(self,
                 inputs: InputsType,
                 batch_size: int = 1,
                 return_vis: bool = False,
                 return_datasamples: bool = False,
                 out_dir: str = '',
                 out_file: str = '',
                 pred_out_dir: str = '',
                 pred_score_thr: float = 0.3,
                 topk: int = 5,
                 attr_thr: Optional[float] = None,
                 vis_max_side: Optional[int] = DEFAULT_MAX_SIDE) -> Dict:
        """Find the faces of the inputs.

        Args:
            inputs (str | np.ndarray | list): An image path, a BGR array, a
                folder (its image files, recursively) or a list of paths
                and arrays.
            batch_size (int): Images loaded (and, in crop mode, run) at
                once. Defaults to 1.
            return_vis (bool): Also return the drawn pictures (BGR).
            return_datasamples (bool): Return ``DetDataSample`` objects
                instead of dicts.
            out_dir (str): Write the pictures here: ``out_dir/<file name>``
                (for a folder input, its path below the folder; for an
                array, ``<number>.jpg``).
            out_file (str): Write the picture of a single input to exactly
                this file.
            pred_out_dir (str): Write each prediction's dict to
                ``pred_out_dir/<file name>.json``.
            pred_score_thr (float): Minimum face score drawn (predictions
                keep every face the model returns, as ``DetInferencer``).
            topk (int): Attributes written per face in the pictures.
            attr_thr (float, optional): Probability above which an
                attribute is written; by default the face's decisions.
            vis_max_side (int, optional): Longer side of the pictures;
                1280 by default, None or 0 for the photo's own size.

        Returns:
            dict: ``predictions``, one per input in order (see
            :meth:`pred2dict`), and ``visualization`` (list of pictures, or
            None without ``return_vis``).

        Raises:
            FaceImageError: An image cannot be read (nothing of later
                chunks is written).
            ValueError: ``out_file`` with more than one input, or
                ``batch_size`` < 1.
        """
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        items = self._inputs_to_list(inputs)
        if out_file and len(items) != 1:
            raise ValueError(f'out_file needs a single input, got '
                             f'{len(items)}; use out_dir')
        names = self._output_names(inputs, items)
        chunks = self.preprocess(items, batch_size=batch_size)
        if self.show_progress:
            chunks = track(
                chunks,
                description='Inference',
                total=-(-len(items) // batch_size))
        predictions, pictures = [], []
        for index, chunk in enumerate(chunks):
            chunk_names = names[index * batch_size:(index + 1) * batch_size]
            preds = self.forward(chunk)
            visualization = self.visualize(
                chunk,
                preds,
                chunk_names,
                return_vis=return_vis,
                out_dir=out_dir,
                out_file=out_file,
                pred_score_thr=pred_score_thr,
                topk=topk,
                attr_thr=attr_thr,
                vis_max_side=vis_max_side)
            results = self.postprocess(preds, visualization,
                                       return_datasamples, chunk_names,
                                       pred_out_dir)
            predictions.extend(results['predictions'])
            pictures.extend(visualization or [])
        return dict(
            predictions=predictions,
            visualization=pictures if return_vis else None)


__all__ = ['FaceInferencer', 'IMG_EXTENSIONS', 'list_images']
