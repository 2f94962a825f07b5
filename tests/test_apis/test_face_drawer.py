"""draw_faces: what the demos draw, at a bounded size and in bounded time."""
import time

import numpy as np
import torch
from mmengine.structures import InstanceData

from mcfa_mm.visualization import DEFAULT_MAX_SIDE, draw_faces
from mcfa_mm.visualization.face_drawer import BOX_COLOR, LEFT_COLOR

NAMES = ('Smiling', 'Male', 'Eyeglasses')


def _near(pixel, color, tolerance=40) -> bool:
    """A drawn pixel of ``color`` (antialiased lines blend their edges)."""
    return bool(np.abs(pixel.astype(int) - color).max() <= tolerance)


def _faces(boxes, scores) -> InstanceData:
    """Faces with landmarks at fixed fractions of their boxes."""
    boxes = torch.tensor(boxes, dtype=torch.float32)
    fractions = torch.tensor([[.3, .4], [.7, .4], [.5, .6], [.35, .8],
                              [.65, .8]])
    sides = boxes[:, 2:] - boxes[:, :2]
    instances = InstanceData()
    instances.bboxes = boxes
    instances.scores = torch.tensor(scores)
    instances.keypoints = boxes[:, None, :2] + fractions * sides[:, None]
    instances.attribute_scores = torch.tensor([[.9, .6, .1]] * len(boxes))
    instances.attribute_decisions = torch.tensor([[True, False, False]] *
                                                 len(boxes))
    return instances


def test_12_megapixel_photo_is_drawn_small_and_fast():
    photo = np.full((3000, 4000, 3), 90, np.uint8)
    faces = _faces([[400., 400., 1200., 1400.], [2000., 600., 2600., 1400.],
                    [3000., 2000., 3300., 2400.]], [0.99, 0.9, 0.8])
    draw_faces(photo, faces, NAMES)  # warm-up (OpenCV's first calls)
    start = time.perf_counter()
    picture = draw_faces(photo, faces, NAMES)
    seconds = time.perf_counter() - start
    # MMEngine's matplotlib visualiser took 5 s for this photo
    assert seconds < 1.0, f'{seconds:.2f} s'
    assert picture.shape == (960, DEFAULT_MAX_SIDE, 3)
    # the first box's left edge, mapped to the picture (scale 0.32)
    scale = DEFAULT_MAX_SIDE / 4000
    x, y_mid = round(400 * scale), round(900 * scale)
    assert _near(picture[y_mid, x], BOX_COLOR)
    # its image-left eye, a filled dot
    eye_x, eye_y = round((400 + .3 * 800) * scale), round(
        (400 + .4 * 1000) * scale)
    assert _near(picture[eye_y, eye_x], LEFT_COLOR)
    assert photo.max() == 90  # drawn on a copy


def test_reduced_image_and_thresholds():
    """A reduced decode is mapped with ori_shape; faces under score_thr and
    attributes decided absent are not drawn."""
    half = np.zeros((500, 500, 3), np.uint8)
    faces = _faces([[200., 200., 600., 600.], [700., 700., 900., 900.]],
                   [0.95, 0.2])
    picture = draw_faces(
        half,
        faces,
        NAMES,
        ori_shape=(1000, 1000),
        score_thr=0.3,
        max_side=None)
    assert picture.shape == half.shape
    assert _near(picture[200, 100], BOX_COLOR)  # (200, 400) / 2
    # the second face (score 0.2) is not drawn: its box edge stays dark
    assert picture[400, 350:450].max() == 0
    # no attribute decided present and topk 0: nothing but boxes and dots
    no_text = draw_faces(
        half, faces, NAMES, ori_shape=(1000, 1000), max_side=None, topk=0)
    with_text = draw_faces(
        half, faces, NAMES, ori_shape=(1000, 1000), max_side=None)
    assert (with_text != no_text).any()  # 'Smiling 0.90' under the face
    empty = draw_faces(half, faces[:0], NAMES)
    assert (empty == half).all()
