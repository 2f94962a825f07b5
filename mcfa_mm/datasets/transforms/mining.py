"""Face-centred crops: MTCNN-style training-sample mining and test crops.

Both transforms cut a square out of the image, padding with zeros where the
square leaves it, and move boxes and landmarks into the crop's coordinates.
Boxes are *not* clipped to the crop: a part face's box regression target
(as in MTCNN) is the whole face box, partly outside the crop.

Coordinates are continuous pixels, as mmdet's boxes: pixel ``(row i,
column j)`` covers ``[j, j + 1) x [i, i + 1)``. Crops are integer-aligned,
so a crop moves every point by a whole number of pixels.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import mmcv
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import bbox_overlaps

from ...utils.pixel_mapping import to_original_pixels
from ..metainfo import FACE, NON_FACE, PART_FACE

#: Per-instance keys, moved together when instances are selected.
INSTANCE_KEYS = ('gt_bboxes', 'gt_bboxes_labels', 'gt_ignore_flags',
                 'gt_box_known', 'gt_keypoints', 'gt_keypoints_visible',
                 'gt_attributes')
MINING_TYPES = ('positive', 'part', 'negative')
_FACE_LABELS = dict(positive=FACE, part=PART_FACE, negative=NON_FACE)


def box_iou(crops: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoUs ``(M, K)`` of xyxy ``crops`` with ``boxes`` (mmdet's
    ``bbox_overlaps``).

    In float64, so that a crop exactly at an IoU range's bound (e.g. 13/20
    against 0.65) is judged on the exact ratio.

    Args:
        crops (np.ndarray): (4, ) or (M, 4) boxes.
        boxes (np.ndarray): (4, ) or (K, 4) boxes.

    Returns:
        np.ndarray: (M, K) IoUs, 0 where the union is empty.
    """
    return bbox_overlaps(
        torch.from_numpy(np.atleast_2d(crops).astype(np.float64)),
        torch.from_numpy(np.atleast_2d(boxes).astype(np.float64))).numpy()


def crop_results(results: dict, crop: Sequence[int]) -> None:
    """Crop ``results`` in place to ``crop``, zero-padding outside the image.

    Moves ``gt_bboxes`` and the visible ``gt_keypoints`` by the crop's
    origin (unannotated keypoints stay zeros, as the data contract says) and
    accumulates ``crop_offset`` in the pixels of the image before any
    resize: when a resize came first, the origin is divided by its
    ``scale_factor``, so that ``pred / scale_factor + crop_offset`` maps a
    prediction back to the original image either way.

    Args:
        results (dict): Result dict with ``img``.
        crop (Sequence[int]): Integer xyxy crop box in image pixels.
    """
    x0, y0, x1, y1 = (int(v) for v in crop)
    img = results['img']
    h, w = img.shape[:2]
    if x1 > 0 and y1 > 0 and x0 < w and y0 < h:
        # mmcv's boxes include their last pixel
        out = mmcv.imcrop(img, np.array([x0, y0, x1 - 1, y1 - 1]), pad_fill=0)
    else:  # imcrop would clip a crop that misses the image to a border pixel
        out = np.zeros((y1 - y0, x1 - x0) + img.shape[2:], dtype=img.dtype)
    results['img'] = out
    results['img_shape'] = out.shape[:2]

    if results.get('gt_bboxes', None) is not None:
        results['gt_bboxes'].translate_([-x0, -y0])
    if results.get('gt_keypoints', None) is not None:
        # Copy: the arrays may be shared with a cached data info.
        keypoints = results['gt_keypoints'].copy()
        visible = results.get('gt_keypoints_visible',
                              np.ones(keypoints.shape[:2])) > 0
        keypoints[visible] -= np.array([x0, y0], dtype=keypoints.dtype)
        results['gt_keypoints'] = keypoints

    # the crop's origin, like any input pixel, mapped to original pixels
    results['crop_offset'] = to_original_pixels(
        np.array([x0, y0], np.float32), results.get('scale_factor', (1., 1.)),
        results.get('crop_offset', (0., 0.)))


def select_instances(results: dict, index: np.ndarray) -> None:
    """Keep the instances ``index`` of every per-instance key, in place.

    An empty ``index`` leaves N = 0 arrays that keep their trailing shapes
    and dtypes, as negatives need.
    """
    index = np.asarray(index, dtype=np.int64)
    for key in INSTANCE_KEYS:
        if results.get(key, None) is not None:
            results[key] = results[key][index]


def _center_square(box: np.ndarray, side: int) -> np.ndarray:
    """Integer square of ``side`` centred on ``box``."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    x0, y0 = np.floor(cx - side / 2 + .5), np.floor(cy - side / 2 + .5)
    return np.array([x0, y0, x0 + side, y0 + side])


@TRANSFORMS.register_module()
class MineFaceSample(BaseTransform):
    """Mine a positive, part-face or non-face training crop (MTCNN style).

    The sample type is drawn with probabilities proportional to
    ``sample_ratios``; then square crops are drawn until one's IoU with the
    face box falls in that type's ``iou_ranges`` interval ``[low, high)``
    (``high`` inclusive when it is 1):

    - positive / part: side uniform in ``[size_range[0] * min(w, h),
      size_range[1] * max(w, h)]`` of a randomly chosen face box, centre
      shifted by up to ``(1 - low) / (1 + low)`` of the box size per axis
      (the 1-D shift at which an equal-size square reaches IoU ``low``).
      May leave the image: zero padding. Only the chosen face is kept.
    - negative: side uniform in ``[negative_min_size, min(H, W)]``, inside
      the image, IoU taken against every known face box. All instances are
      dropped (N = 0).

    If ``max_trials`` draws fail, a deterministic crop is built: for
    positive / part the square centred on the box with the best IoU,
    shifted sideways pixel by pixel until the IoU enters the range; for
    negatives the largest image-corner square clear of every face. When a
    type is impossible (the face covers the image, so no negative exists;
    a box too elongated for a square positive), the next type is tried in
    the order positive, part, negative; an image with no face can only
    give negatives. An image that gives no type at all returns None, so
    that mmengine's dataset draws another image.

    Images whose face box is unknown (``gt_box_known`` all False, e.g.
    CelebA crops) are passed through unchanged as positives when
    ``keep_whole_when_no_box``; otherwise their whole-image box is mined
    like a real one.

    Required Keys:

    - img
    - gt_bboxes (HorizontalBoxes)
    - gt_box_known (optional): all True if absent
    - gt_bboxes_labels, gt_ignore_flags, gt_keypoints,
      gt_keypoints_visible, gt_attributes (optional)
    - crop_offset (optional)

    Modified Keys:

    - img
    - img_shape
    - gt_bboxes, gt_keypoints: moved into crop coordinates
    - all per-instance keys: only the chosen face kept, none for negatives
    - crop_offset: accumulated

    Added Keys:

    - face_label (int): 1 positive, -1 part, 0 negative
    - mining_type (str): 'positive', 'part' or 'negative'
    - mined_iou (float): IoU of the crop with the face box (max over the
      faces for negatives; 1.0 for a pass-through)

    Args:
        sample_ratios (dict): Relative probabilities of 'positive', 'part'
            and 'negative'; a missing type has probability 0.
            Defaults to ``dict(positive=3, part=1, negative=3)``.
        iou_ranges (dict): ``(low, high)`` IoU interval of each type;
            missing types keep the defaults ``positive=(0.65, 1.0),
            part=(0.4, 0.65), negative=(0.0, 0.3)``. MCFA's non-faces use
            ``negative=(0.0, 0.001)``.
        size_range (tuple[float, float]): Crop side of positives and parts
            relative to the face box's short / long side.
            Defaults to (0.8, 1.25).
        negative_min_size (int): Smallest negative side, in pixels.
            Defaults to 12 (the S-Net input).
        max_trials (int): Random draws before the deterministic fallback.
            Defaults to 50.
        keep_whole_when_no_box (bool): Pass images without a known box
            through as positives. Defaults to True.
    """

    DEFAULT_IOU_RANGES = dict(
        positive=(0.65, 1.0), part=(0.4, 0.65), negative=(0.0, 0.3))

    def __init__(self,
                 sample_ratios: Dict[str, float] = dict(
                     positive=3, part=1, negative=3),
                 iou_ranges: Optional[Dict[str, Tuple[float, float]]] = None,
                 size_range: Tuple[float, float] = (0.8, 1.25),
                 negative_min_size: int = 12,
                 max_trials: int = 50,
                 keep_whole_when_no_box: bool = True) -> None:
        unknown = set(sample_ratios) - set(MINING_TYPES)
        if unknown:
            raise ValueError(f'unknown sample types {sorted(unknown)} in '
                             f'sample_ratios; expected {MINING_TYPES}')
        ratios = np.array(
            [float(sample_ratios.get(t, 0)) for t in MINING_TYPES])
        if (ratios < 0).any() or ratios.sum() <= 0:
            raise ValueError('sample_ratios must be >= 0 with a positive '
                             f'sum, got {sample_ratios}')
        self.sample_ratios = dict(zip(MINING_TYPES, ratios.tolist()))
        self._probs = ratios / ratios.sum()

        iou_ranges = dict(iou_ranges or {})
        unknown = set(iou_ranges) - set(MINING_TYPES)
        if unknown:
            raise ValueError(f'unknown sample types {sorted(unknown)} in '
                             f'iou_ranges; expected {MINING_TYPES}')
        self.iou_ranges = {
            t: tuple(float(v) for v in iou_ranges.get(t, default))
            for t, default in self.DEFAULT_IOU_RANGES.items()
        }
        for t, (low, high) in self.iou_ranges.items():
            if not 0 <= low < high <= 1:
                raise ValueError(f'iou_ranges[{t!r}] must satisfy 0 <= low '
                                 f'< high <= 1, got {(low, high)}')
        if not 0 < size_range[0] <= size_range[1]:
            raise ValueError(f'invalid size_range {size_range}')
        if negative_min_size < 1 or max_trials < 0:
            raise ValueError('negative_min_size must be >= 1 and '
                             'max_trials >= 0')
        self.size_range = tuple(size_range)
        self.negative_min_size = int(negative_min_size)
        self.max_trials = int(max_trials)
        self.keep_whole_when_no_box = keep_whole_when_no_box

    def _in_range(self, mining_type: str, iou: np.ndarray) -> np.ndarray:
        """Whether ``iou`` lies in the type's ``[low, high)`` (or
        ``[low, 1]``)."""
        low, high = self.iou_ranges[mining_type]
        return (iou >= low) & ((iou < high) | (high >= 1))

    def _random_face_crop(self, mining_type: str,
                          box: np.ndarray) -> Optional[np.ndarray]:
        """Draw positive / part crops around ``box``; None if all miss."""
        bw, bh = box[2] - box[0], box[3] - box[1]
        low = self.iou_ranges[mining_type][0]
        max_shift = (1 - low) / (1 + low)
        min_side = max(self.size_range[0] * min(bw, bh), 1.)
        max_side = max(self.size_range[1] * max(bw, bh), min_side)
        for _ in range(self.max_trials):
            side = max(int(round(np.random.uniform(min_side, max_side))), 1)
            shift = np.random.uniform(-max_shift, max_shift, size=2)
            centre = np.array([(box[0] + box[2]) / 2 + shift[0] * bw,
                               (box[1] + box[3]) / 2 + shift[1] * bh])
            x0, y0 = np.floor(centre - side / 2 + .5)
            crop = np.array([x0, y0, x0 + side, y0 + side])
            if self._in_range(mining_type, box_iou(crop, box)[0, 0]):
                return crop
        return None

    def _fallback_face_crop(self, mining_type: str,
                            box: np.ndarray) -> Optional[np.ndarray]:
        """Deterministic positive / part crop; None if impossible."""
        bw, bh = box[2] - box[0], box[3] - box[1]
        # The centred square with the best IoU (side ~ sqrt(w * h)).
        sides = np.arange(
            max(int(np.floor(min(bw, bh))), 1),
            max(int(np.ceil(max(bw, bh))), 1) + 1)
        squares = np.stack([_center_square(box, s) for s in sides])
        best = squares[np.argmax(box_iou(squares, box)[:, 0])]
        # Sliding it sideways lowers the IoU monotonically down to 0, so
        # the first in-range shift exists whenever the best IoU >= low.
        side = best[2] - best[0]
        shifts = np.arange(0, int(side + bw) + 2)
        shifted = best[None] + shifts[:, None] * np.array([1, 0, 1, 0])
        ok = np.flatnonzero(
            self._in_range(mining_type, box_iou(shifted, box)[:, 0]))
        return shifted[ok[0]] if ok.size else None

    def _random_negative(self, img_shape: Tuple[int, int],
                         faces: np.ndarray) -> Optional[np.ndarray]:
        """Draw negatives inside the image; None if all miss."""
        h, w = img_shape
        if min(h, w) < self.negative_min_size:
            return None
        for _ in range(self.max_trials):
            side = np.random.randint(self.negative_min_size, min(h, w) + 1)
            x0 = np.random.randint(0, w - side + 1)
            y0 = np.random.randint(0, h - side + 1)
            crop = np.array([x0, y0, x0 + side, y0 + side])
            if self._in_range('negative', self._max_iou(crop, faces)):
                return crop
        return None

    def _fallback_negative(self, img_shape: Tuple[int, int],
                           faces: np.ndarray) -> Optional[np.ndarray]:
        """The largest corner square clear of all faces; None if too
        small."""
        h, w = img_shape
        if len(faces):
            fx0, fy0 = np.floor(faces[:, :2].min(0))
            fx1, fy1 = np.ceil(faces[:, 2:].max(0))
        else:
            fx0 = fy0 = fx1 = fy1 = 0
        fx0, fy0 = int(np.clip(fx0, 0, w)), int(np.clip(fy0, 0, h))
        fx1, fy1 = int(np.clip(fx1, 0, w)), int(np.clip(fy1, 0, h))
        # A corner square misses the faces' hull if it stays on one side of
        # it along either axis: side = the larger free margin, capped.
        cap = min(h, w)
        corners = [
            (min(max(fx0, fy0), cap), lambda s: (0, 0)),
            (min(max(w - fx1, fy0), cap), lambda s: (w - s, 0)),
            (min(max(fx0, h - fy1), cap), lambda s: (0, h - s)),
            (min(max(w - fx1, h - fy1), cap), lambda s: (w - s, h - s)),
        ] if len(faces) else [(cap, lambda s: (0, 0))]
        side, origin = max(corners, key=lambda c: c[0])
        if side < self.negative_min_size:
            return None
        x0, y0 = origin(side)
        crop = np.array([x0, y0, x0 + side, y0 + side])
        if not self._in_range('negative', self._max_iou(crop, faces)):
            return None
        return crop

    @staticmethod
    def _max_iou(crop: np.ndarray, faces: np.ndarray) -> float:
        """Largest IoU of ``crop`` with any face (0 without faces)."""
        return float(box_iou(crop, faces).max()) if len(faces) else 0.

    def _type_order(self, mining_type: str) -> List[str]:
        """The drawn type, then the others in the fallback order."""
        return [mining_type] + [t for t in MINING_TYPES if t != mining_type]

    def _mine(self, mining_type: str, img_shape: Tuple[int, int],
              faces: np.ndarray) -> Optional[Tuple[str, np.ndarray, int]]:
        """Find a crop: random draws, then a deterministic crop, for the
        drawn type and then along the fallback order.

        Returns:
            tuple, optional: the type obtained, the crop box and the index of
            the face it is labelled by (-1 for negatives); None when no type
            can be mined from this image.
        """
        target = np.random.randint(len(faces)) if len(faces) else -1
        for t in self._type_order(mining_type):
            if t == 'negative':
                crop = self._random_negative(img_shape, faces)
                if crop is None:
                    crop = self._fallback_negative(img_shape, faces)
                if crop is not None:
                    return t, crop, -1
            elif target >= 0:
                crop = self._random_face_crop(t, faces[target])
                if crop is None:
                    crop = self._fallback_face_crop(t, faces[target])
                if crop is not None:
                    return t, crop, target
        # Rare: a face box too elongated for any square positive or part
        # crop, and no room for a negative (or an image without faces that
        # is smaller than negative_min_size). No crop has a right label.
        return None

    def transform(self, results: dict) -> dict:
        """Mine one training sample from the image.

        Args:
            results (dict): Result dict after ``LoadFaceAnnotations``.

        Returns:
            dict, optional: The cropped results (see the class docstring for
            keys), or None when the image yields no sample of any type:
            mmengine's dataset then draws another image (in training;
            ``max_refetch`` bounds the retries).
        """
        img_shape = results['img'].shape[:2]
        boxes = results['gt_bboxes'].numpy().astype(np.float64)
        known = np.asarray(
            results.get('gt_box_known', np.ones(len(boxes), bool)), bool)
        if len(boxes) and not known.any():
            if self.keep_whole_when_no_box:
                results['face_label'] = FACE
                results['mining_type'] = 'positive'
                results['mined_iou'] = 1.0
                return results
            known = np.ones(len(boxes), bool)
        face_index = np.flatnonzero(known)
        faces = boxes[face_index]

        if len(faces):
            drawn = MINING_TYPES[np.random.choice(
                len(MINING_TYPES), p=self._probs)]
        else:
            drawn = 'negative'
        mined = self._mine(drawn, img_shape, faces)
        if mined is None:
            return None
        mining_type, crop, target = mined

        if mining_type == 'negative':
            mined_iou = self._max_iou(crop, faces)
            select_instances(results, np.zeros(0, np.int64))
        else:
            mined_iou = float(box_iou(crop, faces[target])[0, 0])
            select_instances(results, face_index[target:target + 1])
        crop_results(results, crop.astype(np.int64))
        results['face_label'] = _FACE_LABELS[mining_type]
        results['mining_type'] = mining_type
        results['mined_iou'] = mined_iou
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}('
                f'sample_ratios={self.sample_ratios}, '
                f'iou_ranges={self.iou_ranges}, '
                f'size_range={self.size_range}, '
                f'negative_min_size={self.negative_min_size}, '
                f'max_trials={self.max_trials}, '
                f'keep_whole_when_no_box={self.keep_whole_when_no_box})')


@TRANSFORMS.register_module()
class CropFace(BaseTransform):
    """Crop a square around the face box, for testing on face crops.

    The square is centred on the first known face box, with side
    ``enlarge`` times the box's long side, zero-padded where it leaves the
    image. Images without a known box (e.g. CelebA crops, where the face
    fills the image) are left as they are.

    Required Keys:

    - img
    - gt_bboxes (HorizontalBoxes)
    - gt_box_known (optional): all True if absent
    - gt_keypoints, gt_keypoints_visible (optional)
    - crop_offset (optional)

    Modified Keys:

    - img
    - img_shape
    - gt_bboxes, gt_keypoints: moved into crop coordinates
    - crop_offset: accumulated (added if absent)

    Args:
        enlarge (float): Crop side over the box's long side.
            Defaults to 1.3.
    """

    def __init__(self, enlarge: float = 1.3) -> None:
        if enlarge <= 0:
            raise ValueError(f'enlarge must be > 0, got {enlarge}')
        self.enlarge = enlarge

    def transform(self, results: dict) -> dict:
        """Crop around the face.

        Args:
            results (dict): Result dict after ``LoadFaceAnnotations``.

        Returns:
            dict: The cropped results (unchanged without a known box).
        """
        if results.get('gt_bboxes', None) is None:
            return results
        boxes = results['gt_bboxes'].numpy().astype(np.float64)
        known = np.asarray(
            results.get('gt_box_known', np.ones(len(boxes), bool)), bool)
        if not known.any():
            return results
        box = boxes[np.flatnonzero(known)[0]]
        side = max(
            int(round(self.enlarge * max(box[2] - box[0], box[3] - box[1]))),
            1)
        crop_results(results, _center_square(box, side).astype(np.int64))
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(enlarge={self.enlarge})'
