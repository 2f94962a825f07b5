"""Load a face image, checked, and turn a data info's ``instances`` into the
arrays of the data contract.

See ``docs/data_contract.md`` for the keys; names and orders come from
:mod:`mcfa_mm.datasets.metainfo`.
"""
from typing import List, Optional

import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmdet.datasets.transforms import LoadAnnotations
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import get_box_type

from ...registry import TRANSFORMS as MCFA_TRANSFORMS
from ...utils.image_io import DEFAULT_MAX_IMAGE_PIXELS, read_image
from ..metainfo import FACE, NON_FACE, NUM_LANDMARKS


# also 'LoadImageFromFile' of scope mcfa_mm, the name the test pipelines use
# so that MMDetection's DetInferencer accepts them (see mcfa_mm/registry.py)
@MCFA_TRANSFORMS.register_module(name='LoadImageFromFile')
@TRANSFORMS.register_module()
class LoadFaceImageFromFile(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` that fails loudly on a bad image.

    mmcv's loader answers a truncated or non-image file with a bare
    ``AssertionError`` and a missing one with the file backend's error (or,
    without a path, mmengine's "uri should not be None"). This one reads
    through
    :func:`mcfa_mm.utils.read_image`: a missing, empty, truncated or
    undecodable file raises :class:`~mcfa_mm.utils.FaceImageError` naming
    the file (and the image id, when the data info has one), at the
    sample that uses it; so does an image whose header declares more than
    ``max_image_pixels`` pixels, before it is decoded (a decompression
    bomb would otherwise take the data loader's whole memory).

    Required Keys:

    - img_path

    Modified Keys:

    - img
    - img_shape
    - ori_shape

    Args:
        to_float32 (bool): Convert the image to float32. Defaults to False.
        color_type (str): As ``mmcv.imfrombytes``. Defaults to 'color'.
        imdecode_backend (str): As ``mmcv.imfrombytes``. Defaults to 'cv2'.
        backend_args (dict, optional): mmengine file backend arguments.
        ignore_empty (bool): Must stay False: dropping unreadable images
            silently is what this transform exists to prevent (use the
            datasets' ``skip_invalid`` to count them at build time).
        max_image_pixels (int, optional): Refuse an image whose header
            declares more pixels; None or 0 for no limit. Defaults to
            :data:`~mcfa_mm.utils.image_io.DEFAULT_MAX_IMAGE_PIXELS`
            (250 MP: every real camera photo).
    """

    def __init__(self,
                 to_float32: bool = False,
                 color_type: str = 'color',
                 imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None,
                 ignore_empty: bool = False,
                 max_image_pixels: Optional[int] = DEFAULT_MAX_IMAGE_PIXELS
                 ) -> None:
        if ignore_empty:
            raise ValueError(
                'LoadFaceImageFromFile never skips a bad image silently '
                '(ignore_empty=True); fix or drop the file, or build the '
                'dataset with skip_invalid=True')
        super().__init__(
            to_float32=to_float32,
            color_type=color_type,
            imdecode_backend=imdecode_backend,
            backend_args=backend_args)
        if max_image_pixels is not None and max_image_pixels < 0:
            raise ValueError('max_image_pixels must be None or >= 0, got '
                             f'{max_image_pixels}')
        self.max_image_pixels = max_image_pixels

    def transform(self, results: dict) -> dict:
        """Load the image of ``results['img_path']``.

        Args:
            results (dict): Result dict with ``img_path``.

        Returns:
            dict: With ``img``, ``img_shape`` and ``ori_shape``.

        Raises:
            FaceImageError: The file is missing, empty, truncated, larger
                than ``max_image_pixels`` or not an image.
        """
        img = read_image(
            results['img_path'],
            color_type=self.color_type,
            imdecode_backend=self.imdecode_backend,
            backend_args=self.backend_args,
            max_image_pixels=self.max_image_pixels)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{super().__repr__()[:-1]}, '
                f'max_image_pixels={self.max_image_pixels})')


@TRANSFORMS.register_module()
class LoadFaceAnnotations(LoadAnnotations):
    """Load face boxes, 5 landmarks and attribute labels.

    Every annotation may be missing for a whole data set (CelebA crops have
    no box, LFWA has no landmarks, WIDER-like sets have no attributes): a
    missing field is filled with a placeholder and flagged, so that the
    losses and metrics can skip it instead of learning from it.

    - ``bbox is None``: the face fills the image, the box is
      ``[0, 0, w, h]`` and ``gt_box_known`` is False.
    - ``keypoints is None``: zeros, ``gt_keypoints_visible`` 0.
    - ``attributes is None``: all ``-1`` (unknown).

    Keypoint convention: the landmark files (CelebA, LFWA, the wild set)
    give integer pixel indices, i.e. the landmark is pixel ``(x, y)``. The
    transforms use mmdet's continuous coordinates, where pixel ``x`` spans
    ``[x, x + 1)`` (so a flip is ``w - x`` and a resize ``x * scale``, as
    for box corners). ``keypoint_offset`` (0.5) moves the loaded landmarks
    to their pixel's centre; predictions are in continuous coordinates too.

    Required Keys:

    - img_shape (the image must be loaded first: it sizes whole-image boxes)
    - instances

      - bbox (list[float] | None): xyxy pixels
      - bbox_label (int, optional): defaults to 0 (face)
      - ignore_flag (int, optional): defaults to 0
      - keypoints (list[list[float]] | None): 5 x (x, y)
      - attributes (list[int] | None): 1 / 0 / -1 per attribute

    Added Keys:

    - gt_bboxes (HorizontalBoxes[torch.float32]): (N, 4)
    - gt_bboxes_labels (np.int64): (N, )
    - gt_ignore_flags (bool): (N, )
    - gt_box_known (bool): (N, )
    - gt_keypoints (np.float32): (N, 5, 2)
    - gt_keypoints_visible (np.float32): (N, 5)
    - gt_attributes (np.int64): (N, d)
    - face_label (int): 1 if N > 0 else 0; kept when already set
    - crop_offset (np.float32): (2, ) zeros; kept when already set

    Args:
        with_keypoints (bool): Whether to load the landmarks.
            Defaults to True.
        with_attributes (bool): Whether to load the attribute labels.
            Defaults to True.
        num_attributes (int, optional): Number of attribute columns ``d``.
            Needed only to size the all-unknown rows of an image none of
            whose instances has attributes. When None, ``d`` is the length
            of the first instance's attributes, or 0 if no instance has any.
            Defaults to None.
        keypoint_offset (float): Added to the annotated keypoints: 0.5 turns
            pixel indices into continuous coordinates (see above); 0 for
            annotations that are continuous already. Defaults to 0.5.
        **kwargs: Arguments of mmdet's ``LoadAnnotations`` (``with_bbox``,
            ``with_label``, ``box_type``, ...).
    """

    def __init__(self,
                 with_keypoints: bool = True,
                 with_attributes: bool = True,
                 num_attributes: Optional[int] = None,
                 keypoint_offset: float = 0.5,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if num_attributes is not None and num_attributes < 0:
            raise ValueError(
                f'num_attributes must be >= 0, got {num_attributes}')
        self.with_keypoints = with_keypoints
        self.with_attributes = with_attributes
        self.num_attributes = num_attributes
        self.keypoint_offset = keypoint_offset

    def _load_bboxes(self, results: dict) -> None:
        """Load boxes, ignore flags and ``gt_box_known``; a missing box is
        the whole image."""
        instances = results.get('instances', [])
        boxes: List[List[float]] = []
        known: List[bool] = []
        for instance in instances:
            if instance.get('bbox') is None:
                boxes.append(self._whole_image_box(results))
                known.append(False)
            else:
                boxes.append(list(instance['bbox']))
                known.append(True)
        if self.box_type is None:
            results['gt_bboxes'] = np.array(
                boxes, dtype=np.float32).reshape((-1, 4))
        else:
            _, box_type_cls = get_box_type(self.box_type)
            results['gt_bboxes'] = box_type_cls(
                np.array(boxes, dtype=np.float32).reshape((-1, 4)))
        results['gt_ignore_flags'] = np.array(
            [bool(inst.get('ignore_flag', 0)) for inst in instances],
            dtype=bool)
        results['gt_box_known'] = np.array(known, dtype=bool)

    @staticmethod
    def _whole_image_box(results: dict) -> List[float]:
        """The box of an image the face fills: ``[0, 0, w, h]``."""
        if 'img_shape' not in results:
            raise KeyError(
                'LoadFaceAnnotations needs `img_shape` to build the whole-'
                'image box of an instance without bbox: put it after '
                'LoadFaceImageFromFile in the pipeline.')
        h, w = results['img_shape'][:2]
        return [0., 0., float(w), float(h)]

    def _load_labels(self, results: dict) -> None:
        """Load labels; the face sets have one class, so default to 0."""
        instances = results.get('instances', [])
        results['gt_bboxes_labels'] = np.array(
            [inst.get('bbox_label', 0) for inst in instances], dtype=np.int64)

    def _load_keypoints(self, results: dict) -> None:
        """Load the 5 landmarks; missing ones are zeros and invisible."""
        instances = results.get('instances', [])
        keypoints = np.zeros((len(instances), NUM_LANDMARKS, 2), np.float32)
        visible = np.zeros((len(instances), NUM_LANDMARKS), np.float32)
        for i, instance in enumerate(instances):
            if instance.get('keypoints') is None:
                continue
            points = np.asarray(instance['keypoints'], dtype=np.float32)
            if points.size != NUM_LANDMARKS * 2:
                raise ValueError(
                    f'expected {NUM_LANDMARKS} (x, y) keypoints, got an '
                    f'array of shape {points.shape}')
            keypoints[i] = points.reshape(NUM_LANDMARKS,
                                          2) + self.keypoint_offset
            visible[i] = 1.
        results['gt_keypoints'] = keypoints
        results['gt_keypoints_visible'] = visible

    def _load_attributes(self, results: dict) -> None:
        """Load the attribute labels; a missing row is all -1 (unknown)."""
        instances = results.get('instances', [])
        num_attributes = self.num_attributes
        if num_attributes is None:
            num_attributes = next(
                (len(inst['attributes'])
                 for inst in instances if inst.get('attributes') is not None),
                0)
        # -1 everywhere first, then fill the annotated rows.
        attributes = np.full((len(instances), num_attributes),
                             -1,
                             dtype=np.int64)
        for i, instance in enumerate(instances):
            if instance.get('attributes') is None:
                continue
            row = np.asarray(instance['attributes'], dtype=np.int64)
            if row.shape != (num_attributes, ):
                raise ValueError(
                    f'expected {num_attributes} attribute labels, got an '
                    f'array of shape {row.shape}')
            attributes[i] = row
        results['gt_attributes'] = attributes

    def transform(self, results: dict) -> dict:
        """Load the annotations of one image.

        Args:
            results (dict): Result dict from the dataset, image loaded.

        Returns:
            dict: The results with the keys listed in the class docstring.
        """
        results = super().transform(results)
        if self.with_keypoints:
            self._load_keypoints(results)
        if self.with_attributes:
            self._load_attributes(results)
        num_faces = len(results.get('instances', []))
        # Mining may set these before (e.g. a pre-mined sample list); only
        # fill the defaults of an image that nothing has cropped yet.
        results.setdefault('face_label', FACE if num_faces > 0 else NON_FACE)
        results.setdefault('crop_offset', np.zeros(2, dtype=np.float32))
        return results

    def __repr__(self) -> str:
        repr_str = super().__repr__()[:-1]
        repr_str += f', with_keypoints={self.with_keypoints}, '
        repr_str += f'with_attributes={self.with_attributes}, '
        repr_str += f'num_attributes={self.num_attributes}, '
        repr_str += f'keypoint_offset={self.keypoint_offset})'
        return repr_str
