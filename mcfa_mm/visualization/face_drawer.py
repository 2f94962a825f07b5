"""Draw faces, landmarks and attributes with OpenCV, at a bounded size.

What the demos, ``mcfa-faces`` and :class:`~mcfa_mm.apis.FaceInferencer`
draw with. :class:`~mcfa_mm.visualization.FaceVisualizer` (MMEngine's
matplotlib canvas, for the training hooks and ``tools/test.py
--show-dir``) renders the whole photo: 5 s for a 12-megapixel one. Here the
photo is first shrunk to at most :data:`DEFAULT_MAX_SIDE` pixels on its
longer side (``cv2.INTER_AREA``) and the boxes, dots and text are drawn with
OpenCV's primitives, whose cost grows with what is drawn, not with the
photo: a 12-megapixel photo takes a few tens of milliseconds. Predictions
stay in the original photo's pixels; only the picture is smaller.
"""
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.structures import InstanceData

from ..datasets.metainfo import LANDMARK_NAMES

#: Longer side of the pictures the demos write (pixels); smaller photos are
#: drawn at their own size. Large enough to read every face's text on a
#: screen, small enough that a 12 MP photo is drawn and encoded in well
#: under a second.
DEFAULT_MAX_SIDE = 1280

BGRColor = Tuple[int, int, int]
#: Colours, BGR as OpenCV draws: the face box (mmdet's palette for the one
#: class), image-left landmarks, image-right landmarks, the others (nose),
#: the text.
BOX_COLOR: BGRColor = (0, 255, 0)
LEFT_COLOR: BGRColor = (64, 64, 255)
RIGHT_COLOR: BGRColor = (255, 160, 64)
CENTER_COLOR: BGRColor = (0, 220, 255)
TEXT_COLOR: BGRColor = (255, 255, 255)
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def fit_longest_side(image: np.ndarray, max_side: Optional[int]) -> np.ndarray:
    """A copy of ``image`` whose longer side is at most ``max_side``.

    Args:
        image (np.ndarray): ``(H, W, 3)`` image.
        max_side (int, optional): Longest side allowed; None keeps the size.

    Returns:
        np.ndarray: A new array (the caller draws on it), shrunk with
        ``cv2.INTER_AREA`` (averages the pixels it drops, no aliasing).
    """
    height, width = image.shape[:2]
    if max_side is None or max(height, width) <= max_side:
        return image.copy()
    scale = max_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _attribute_lines(instances: InstanceData, index: int, names: Sequence[str],
                     topk: int, attr_thr: Optional[float]) -> List[str]:
    """``'<name> <probability>'`` of the face's most likely present
    attributes: decided present (or above ``attr_thr`` when given)."""
    if topk <= 0 or 'attribute_scores' not in instances:
        return []
    scores = torch.as_tensor(instances.attribute_scores[index]).float()
    if attr_thr is None and 'attribute_decisions' in instances:
        present = torch.as_tensor(instances.attribute_decisions[index])
    else:
        present = scores > (0.5 if attr_thr is None else attr_thr)
    order = torch.argsort(scores, descending=True).tolist()
    chosen = [i for i in order if bool(present[i])][:topk]
    return [f'{names[i]} {float(scores[i]):.2f}' for i in chosen]


def _landmark_colors(num: int) -> List[BGRColor]:
    """Colour of each landmark from its name's side."""
    names = list(LANDMARK_NAMES) + [''] * max(0, num - len(LANDMARK_NAMES))
    return [
        LEFT_COLOR if name.startswith('left') else
        RIGHT_COLOR if name.startswith('right') else CENTER_COLOR
        for name in names[:num]
    ]


def _draw_text_block(canvas: np.ndarray, lines: List[str], box: Sequence[int],
                     font_scale: float, thickness: int) -> None:
    """Write ``lines`` on a dark panel below the box, else above it, else
    inside it at the bottom (a face that fills the picture)."""
    sizes = [
        cv2.getTextSize(line, _FONT, font_scale, thickness) for line in lines
    ]
    line_height = max(h + base for (_, h), base in sizes) + 2
    width = max(w for (w, _), _ in sizes) + 6
    height = line_height * len(lines) + 4
    img_h, img_w = canvas.shape[:2]
    x1, y1, _, y2 = box
    if y2 + 2 + height <= img_h:
        top = y2 + 2
    elif y1 - 2 - height >= 0:
        top = y1 - 2 - height
    else:
        top = max(0, y2 - height)
    left = min(max(0, x1), max(0, img_w - width))
    bottom, right = min(img_h, top + height), min(img_w, left + width)
    if bottom <= top or right <= left:
        return
    # a 60 % black panel under the text: readable on any background
    panel = canvas[top:bottom, left:right]
    panel[:] = (panel * 0.4).astype(canvas.dtype)
    for row, (line, ((_, text_h), _)) in enumerate(zip(lines, sizes)):
        baseline_y = top + 2 + row * line_height + text_h
        cv2.putText(canvas, line, (left + 3, baseline_y), _FONT, font_scale,
                    TEXT_COLOR, thickness, cv2.LINE_AA)


def draw_faces(image: np.ndarray,
               instances: InstanceData,
               attribute_names: Sequence[str],
               ori_shape: Optional[Tuple[int, int]] = None,
               score_thr: float = 0.3,
               topk: int = 5,
               attr_thr: Optional[float] = None,
               max_side: Optional[int] = DEFAULT_MAX_SIDE) -> np.ndarray:
    """Draw every face above ``score_thr`` on a (shrunk) copy of ``image``.

    For each face: its box and score, its 5 landmarks as dots (image-left
    points red, image-right blue, nose yellow) and a text panel with its
    ``topk`` most likely attributes that are present.

    Args:
        image (np.ndarray): BGR ``(H, W, 3)`` uint8 image, the photo or a
            reduced decode of it (see ``ori_shape``).
        instances (InstanceData): Predictions in the original photo's
            pixels: ``bboxes``, ``scores``, optionally ``keypoints``,
            ``attribute_scores`` and ``attribute_decisions``.
        attribute_names (Sequence[str]): Names of the attribute columns.
        ori_shape (tuple[int, int], optional): ``(H, W)`` of the photo the
            predictions' pixels refer to; ``image``'s own by default.
        score_thr (float): Minimum face score drawn.
        topk (int): Attributes written per face (0: none).
        attr_thr (float, optional): An attribute is written when its
            probability exceeds this; by default when
            ``attribute_decisions`` says it is present (0.5 without them).
        max_side (int, optional): Longer side of the picture; None draws
            at ``image``'s size (the video demo keeps the frame size).

    Returns:
        np.ndarray: The BGR picture, a new array.
    """
    canvas = fit_longest_side(image, max_side)
    ori_h, ori_w = ori_shape or image.shape[:2]
    scale = np.array([canvas.shape[1] / ori_w, canvas.shape[0] / ori_h],
                     dtype=np.float32)
    if len(instances) == 0 or 'bboxes' not in instances:
        return canvas
    bboxes = torch.as_tensor(instances.bboxes).float().cpu().numpy()
    scores = torch.as_tensor(instances.scores).float().cpu().numpy()
    keypoints = (
        torch.as_tensor(instances.keypoints).float().cpu().numpy()
        if 'keypoints' in instances else None)
    # line width and text size follow the picture, so that a 1280 px
    # picture and a 128 px face crop both stay readable
    side = max(canvas.shape[:2])
    thickness = max(1, round(side / 640))
    font_scale = float(np.clip(side / 1280 * 0.6, 0.3, 0.6))
    label_thickness = 1
    for index in np.argsort(-scores, kind='stable'):
        if scores[index] <= score_thr:
            continue
        x1, y1, x2, y2 = (bboxes[index].reshape(2, 2) * scale).reshape(-1)
        box = [int(round(v)) for v in (x1, y1, x2, y2)]
        cv2.rectangle(canvas, tuple(box[:2]), tuple(box[2:]), BOX_COLOR,
                      thickness, cv2.LINE_AA)
        label = f'face {scores[index]:.2f}'
        (label_w, label_h), base = cv2.getTextSize(label, _FONT, font_scale,
                                                   label_thickness)
        label_y = box[1] - 3 if box[1] - label_h - base - 3 >= 0 \
            else box[1] + label_h + 3
        cv2.putText(canvas, label, (box[0], label_y), _FONT, font_scale,
                    BOX_COLOR, label_thickness, cv2.LINE_AA)
        if keypoints is not None:
            points = keypoints[index] * scale
            radius = max(2, round(0.03 * max(x2 - x1, y2 - y1)))
            for point, color in zip(points, _landmark_colors(len(points))):
                if np.isfinite(point).all():
                    cv2.circle(canvas,
                               (int(round(point[0])), int(round(point[1]))),
                               radius, color, -1, cv2.LINE_AA)
        lines = _attribute_lines(instances, int(index), attribute_names, topk,
                                 attr_thr)
        if lines:
            _draw_text_block(canvas, lines, box, font_scale, label_thickness)
    return canvas


__all__ = ['DEFAULT_MAX_SIDE', 'draw_faces', 'fit_longest_side']
