"""Geometric and photometric transforms that keep the 5 landmarks in step.

Keypoints use mmdet's continuous box coordinates (pixel ``(row i, column
j)`` covers ``[j, j + 1) x [i, i + 1)``), so a resize is ``x * scale`` and a
horizontal flip ``w - x``, exactly as for box corners. The landmark files'
integer pixel indices enter this frame at their pixel's centre
(``LoadFaceAnnotations`` adds 0.5), so a flipped landmark lands on the
mirrored pixel's centre. Unannotated keypoints (``gt_keypoints_visible ==
0``) stay zeros.
"""
from typing import List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import RandomFlip, Resize
from mmdet.registry import TRANSFORMS

from ..metainfo import LANDMARK_FLIP_PAIRS, flip_permutation


def _visible_mask(results: dict) -> np.ndarray:
    """(N, K) bool mask of the annotated keypoints."""
    keypoints = results['gt_keypoints']
    visible = results.get('gt_keypoints_visible', None)
    if visible is None:
        return np.ones(keypoints.shape[:2], dtype=bool)
    return np.asarray(visible) > 0


@TRANSFORMS.register_module()
class FaceResize(Resize):
    """mmdet's ``Resize`` that also resizes the landmarks.

    Unlike mmdet's default, boxes are not clipped to the image: a part
    face's box (MTCNN) extends past its crop on purpose, and the box
    regression target is the whole box. Keypoints are never clipped.

    Required Keys:

    - img
    - gt_bboxes (BaseBoxes[torch.float32]) (optional)
    - gt_keypoints (np.float32) (optional)
    - gt_keypoints_visible (np.float32) (optional)
    - gt_masks, gt_seg_map (optional)

    Modified Keys:

    - img
    - img_shape
    - gt_bboxes
    - gt_keypoints
    - gt_masks, gt_seg_map

    Added Keys:

    - scale
    - scale_factor
    - keep_ratio
    - homography_matrix

    Args:
        scale (int or tuple, optional): Target ``(w, h)`` size.
            Defaults to None.
        scale_factor (float or tuple[float], optional): Scale factors, used
            when ``scale`` is None. Defaults to None.
        keep_ratio (bool): Whether to keep the aspect ratio.
            Defaults to False.
        clip_object_border (bool): Whether to clip boxes to the image.
            Defaults to False (see above).
        backend (str): 'cv2' or 'pillow'. Defaults to 'cv2'.
        interpolation (str): Interpolation method. Defaults to 'bilinear'.
    """

    def __init__(self,
                 scale: Optional[Union[int, Tuple[int, int]]] = None,
                 scale_factor: Optional[Union[float, Tuple[float,
                                                           float]]] = None,
                 keep_ratio: bool = False,
                 clip_object_border: bool = False,
                 backend: str = 'cv2',
                 interpolation: str = 'bilinear') -> None:
        super().__init__(
            scale=scale,
            scale_factor=scale_factor,
            keep_ratio=keep_ratio,
            clip_object_border=clip_object_border,
            backend=backend,
            interpolation=interpolation)

    def _resize_keypoints(self, results: dict) -> None:
        """Resize the annotated keypoints with ``results['scale_factor']``."""
        if results.get('gt_keypoints', None) is None:
            return
        keypoints = results['gt_keypoints'].copy()
        visible = _visible_mask(results)
        scale = np.asarray(results['scale_factor'], dtype=np.float32)[:2]
        keypoints[visible] *= scale
        results['gt_keypoints'] = keypoints

    def transform(self, results: dict) -> dict:
        """Resize the image, boxes, masks, maps and landmarks.

        Args:
            results (dict): Result dict from the previous transform.

        Returns:
            dict: Resized results, with ``scale_factor`` ``(w, h)``.
        """
        results = super().transform(results)
        self._resize_keypoints(results)
        return results


@TRANSFORMS.register_module()
class FaceRandomFlip(RandomFlip):
    """mmdet's ``RandomFlip`` that also flips the landmarks.

    A horizontal flip maps ``x`` to ``w - x`` (continuous coordinates: the
    centre ``i + 0.5`` of pixel ``i`` goes to that of pixel ``w - 1 - i``)
    and then swaps the left / right landmarks (eyes, mouth corners), since *left* means the image's
    left side: after the flip, the point that was the right eye is on the
    left. Only horizontal flips are supported: a vertical flip would turn
    the face upside down, which no face pipeline wants, and its landmark
    naming is undefined.

    Required Keys:

    - img
    - gt_bboxes (BaseBoxes[torch.float32]) (optional)
    - gt_keypoints (np.float32) (optional)
    - gt_keypoints_visible (np.float32) (optional)
    - gt_masks, gt_seg_map (optional)

    Modified Keys:

    - img
    - gt_bboxes
    - gt_keypoints
    - gt_keypoints_visible
    - gt_masks, gt_seg_map

    Added Keys:

    - flip
    - flip_direction
    - homography_matrix

    Args:
        prob (float | list[float], optional): Flip probability.
            Defaults to None (never flip).
        direction (str | list[str]): Must be 'horizontal'.
            Defaults to 'horizontal'.
        flip_pairs (Sequence[tuple[int, int]]): Keypoint index pairs that
            swap. Defaults to ``LANDMARK_FLIP_PAIRS``.
    """

    def __init__(self,
                 prob: Optional[Union[float, List[float]]] = None,
                 direction: Union[str, Sequence[str]] = 'horizontal',
                 flip_pairs: Sequence[Tuple[int, int]] = LANDMARK_FLIP_PAIRS,
                 **kwargs) -> None:
        directions = [direction] if isinstance(direction,
                                               str) else list(direction)
        # Fail at build time rather than on the first flipped sample.
        self._check_directions(directions)
        super().__init__(prob=prob, direction=direction, **kwargs)
        self.flip_pairs = tuple(tuple(pair) for pair in flip_pairs)

    @staticmethod
    def _check_directions(directions: Sequence[str]) -> None:
        """Raise for any flip direction other than 'horizontal'."""
        bad = [d for d in directions if d != 'horizontal']
        if bad:
            raise NotImplementedError(
                f'FaceRandomFlip flips landmarks horizontally only; got '
                f'direction(s) {bad}. Vertical and diagonal flips of face '
                'landmarks are not supported.')

    def _flip_keypoints(self, results: dict) -> None:
        """Mirror the annotated keypoints and swap the left / right pairs."""
        if results.get('gt_keypoints', None) is None:
            return
        self._check_directions([results['flip_direction']])
        width = results['img'].shape[1]
        keypoints = results['gt_keypoints'].copy()
        visible = _visible_mask(results)
        keypoints[..., 0] = np.where(visible, width - keypoints[..., 0],
                                     keypoints[..., 0])
        order = flip_permutation(self.flip_pairs, keypoints.shape[1])
        results['gt_keypoints'] = keypoints[:, order]
        if results.get('gt_keypoints_visible', None) is not None:
            results['gt_keypoints_visible'] = results[
                'gt_keypoints_visible'][:, order]

    def _flip(self, results: dict) -> None:
        """Flip the image, boxes, masks, maps and landmarks."""
        super()._flip(results)
        self._flip_keypoints(results)

    def __repr__(self) -> str:
        repr_str = super().__repr__()[:-1]
        return repr_str + f', flip_pairs={self.flip_pairs})'


@TRANSFORMS.register_module()
class FaceColorJitter(BaseTransform):
    """Randomly jitter brightness, contrast and saturation.

    mmcv's ``adjust_brightness``, ``adjust_contrast`` and ``adjust_color``
    in turn, each factor drawn uniformly from ``[max(0, 1 - v), 1 + v]``.
    Grey images (``(H, W)`` or ``(H, W, 1)``) get brightness and contrast
    only.

    Required Keys:

    - img (np.uint8, (H, W, 3) or (H, W[, 1]))

    Modified Keys:

    - img

    Args:
        brightness (float): Brightness jitter ``v``. Defaults to 0.2.
        contrast (float): Contrast jitter ``v``. Defaults to 0.2.
        saturation (float): Saturation jitter ``v``; ignored for grey
            images. Defaults to 0.2.
        prob (float): Probability to jitter an image. Defaults to 0.5.
        channel_order (str): 'bgr' (mmcv's loading default) or 'rgb'; sets
            the grey-level weights. Defaults to 'bgr'.
    """

    def __init__(self,
                 brightness: float = 0.2,
                 contrast: float = 0.2,
                 saturation: float = 0.2,
                 prob: float = 0.5,
                 channel_order: str = 'bgr') -> None:
        if min(brightness, contrast, saturation) < 0:
            raise ValueError('jitter strengths must be >= 0')
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(
                f"channel_order must be 'bgr' or 'rgb', got {channel_order}")
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.prob = prob
        self.channel_order = channel_order

    @staticmethod
    def _factor(strength: float) -> float:
        """A factor uniform in ``[max(0, 1 - strength), 1 + strength]``."""
        return np.random.uniform(max(0., 1. - strength), 1. + strength)

    def transform(self, results: dict) -> dict:
        """Jitter ``results['img']`` with probability ``prob``.

        Args:
            results (dict): Result dict with ``img``.

        Returns:
            dict: The results with the jittered image.
        """
        if np.random.rand() >= self.prob:
            return results
        # Draw all factors every time so the random stream does not depend
        # on the image type.
        brightness = self._factor(self.brightness)
        contrast = self._factor(self.contrast)
        saturation = self._factor(self.saturation)

        img = results['img']
        grey = img.ndim == 2 or img.shape[2] == 1
        # mmcv's contrast and colour steps read BGR; a grey image as BGR
        # keeps three equal channels through brightness and contrast.
        out = mmcv.gray2bgr(img.reshape(img.shape[:2])) if grey else img
        if self.channel_order == 'rgb':
            out = mmcv.rgb2bgr(out)
        out = mmcv.adjust_contrast(
            mmcv.adjust_brightness(out, brightness), contrast)
        if not grey:
            out = mmcv.adjust_color(out, saturation)
        if self.channel_order == 'rgb':
            out = mmcv.bgr2rgb(out)
        results['img'] = out[..., 0].reshape(img.shape) if grey else out
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(brightness={self.brightness}, '
                f'contrast={self.contrast}, saturation={self.saturation}, '
                f'prob={self.prob}, channel_order={self.channel_order!r})')
