"""Hand-built results dicts for the transform tests (no dataset classes).

Not a test module: the tests import it by name (pytest puts this folder on
``sys.path``).
"""
import copy

import numpy as np

#: A frontal synthetic face in a 200 x 240 (h x w) image. The data info
#: holds integer pixel indices, as the CelebA landmark files do; a coloured
#: pixel marks each one.
FACE_BOX = [80., 60., 160., 150.]
FILE_KEYPOINTS = [[100, 90], [140, 90], [120, 112], [104, 130], [136, 130]]
#: The same landmarks after ``LoadFaceAnnotations``: the pixels' centres in
#: continuous coordinates (x + 0.5).
FACE_KEYPOINTS = [[x + .5, y + .5] for x, y in FILE_KEYPOINTS]
#: One distinct colour per landmark; none is a mix of two others' channels.
KEYPOINT_COLOURS = np.array(
    [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [0, 255, 255]],
    dtype=np.uint8)
IMG_HW = (200, 240)


def draw_keypoints(img: np.ndarray, keypoints, radius: int = 4) -> None:
    """Paint a (2 radius + 1)-pixel square of colour i centred on point i."""
    for colour, (x, y) in zip(KEYPOINT_COLOURS, keypoints):
        col, row = int(np.floor(x)), int(np.floor(y))
        img[row - radius:row + radius + 1,
            col - radius:col + radius + 1] = colour


def make_info(bbox=FACE_BOX,
              keypoints=FILE_KEYPOINTS,
              attributes=(1, 0, -1),
              ignore_flag=0) -> dict:
    """One instance as the datasets emit it."""
    return dict(
        bbox=None if bbox is None else list(bbox),
        bbox_label=0,
        ignore_flag=ignore_flag,
        keypoints=None if keypoints is None else copy.deepcopy(keypoints),
        attributes=None if attributes is None else list(attributes))


def make_results(instances=None, img_hw=IMG_HW, draw=True) -> dict:
    """A results dict as ``LoadImageFromFile`` leaves it, plus instances."""
    if instances is None:
        instances = [make_info()]
    img = np.zeros(img_hw + (3, ), dtype=np.uint8)
    if draw:
        for inst in instances:
            if inst.get('keypoints') is not None:
                draw_keypoints(img, inst['keypoints'])
    return dict(
        img=img,
        img_id='synthetic.jpg',
        img_path='synthetic.jpg',
        img_shape=img_hw,
        ori_shape=img_hw,
        instances=instances)


def loaded_results(instances=None, img_hw=IMG_HW, draw=True) -> dict:
    """``make_results`` passed through ``LoadFaceAnnotations``."""
    from mcfa_mm.datasets.transforms import LoadFaceAnnotations
    return LoadFaceAnnotations()(make_results(instances, img_hw, draw))


def colour_centroids(img: np.ndarray) -> np.ndarray:
    """(5, 2) continuous (x, y) centroid of each keypoint colour's blob.

    A pixel's weight for colour c is how much its 'on' channels exceed its
    'off' channels, so blends with the black background count less and the
    other colours not at all. NaN where a colour is absent.
    """
    img = img.astype(np.float32)
    on_mask = KEYPOINT_COLOURS > 0
    h, w = img.shape[:2]
    xs, ys = np.arange(w) + .5, np.arange(h) + .5
    centroids = np.full((len(KEYPOINT_COLOURS), 2), np.nan)
    for i, on in enumerate(on_mask):
        weight = img[..., on].min(-1) - (
            img[..., ~on].max(-1) if (~on).any() else 0)
        weight = np.clip(weight, 0, None)
        total = weight.sum()
        if total > 0:
            centroids[i] = [(weight.sum(0) * xs).sum() / total,
                            (weight.sum(1) * ys).sum() / total]
    return centroids


def iou_xyxy(a, b) -> float:
    """IoU of two xyxy boxes, written independently of the code under
    test."""
    iw = max(0., min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0., min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) -
             inter)
    return inter / union if union > 0 else 0.
