"""Boxes and landmarks stay on their pixels through mine -> resize -> flip.

Each landmark is painted as a coloured blob; after the transforms the blob
of each colour must be centred on the transformed landmark (the flipped
partner's colour after a flip), and the box must map back to the original
one through ``flip``, ``scale_factor`` and ``crop_offset``.
"""
import numpy as np
import pytest
from _face_samples import (FACE_BOX, colour_centroids, draw_keypoints,
                           loaded_results)

from mcfa_mm.datasets.metainfo import LANDMARK_FLIP_PAIRS
from mcfa_mm.datasets.transforms import (FaceRandomFlip, FaceResize,
                                         MineFaceSample)

BLOB_RADIUS = 4


def _flip_order():
    order = np.arange(5)
    for left, right in LANDMARK_FLIP_PAIRS:
        order[left], order[right] = right, left
    return order


@pytest.mark.parametrize('size,atol', [(48, 0.5), (160, 0.2)])
def test_landmarks_follow_pixels(size, atol):
    np.random.seed(0)
    mine = MineFaceSample(sample_ratios=dict(positive=1, part=1))
    resize = FaceResize(scale=(size, size))
    flip = FaceRandomFlip(prob=0.5)
    checked = flipped = 0
    for _ in range(30):
        results = loaded_results()
        kp_before = results['gt_keypoints'][0].copy()
        out = flip(resize(mine(results)))
        keypoints = out['gt_keypoints'][0]
        colour_of = _flip_order() if out['flip'] else np.arange(5)
        flipped += bool(out['flip'])

        # Only blobs wholly inside the crop have an unbiased centroid.
        crop_side = out['img_shape'][0] / out['scale_factor'][1]
        local = kp_before - out['crop_offset']
        whole = ((local > BLOB_RADIUS + 1) &
                 (local < crop_side - BLOB_RADIUS - 1)).all(1)
        centroids = colour_centroids(out['img'])
        for i in range(5):
            if whole[colour_of[i]]:
                np.testing.assert_allclose(
                    centroids[colour_of[i]], keypoints[i], atol=atol)
                checked += 1

        # The box maps back to the original image.
        box = out['gt_bboxes'].numpy()[0].astype(np.float64)
        if out['flip']:
            box = np.array([size - box[2], box[1], size - box[0], box[3]])
        box = box / np.tile(out['scale_factor'], 2) + np.tile(
            out['crop_offset'], 2)
        np.testing.assert_allclose(box, FACE_BOX, atol=1e-3)
    assert checked > 60 and 0 < flipped < 30


def test_keypoints_outside_crop_are_kept_not_clipped():
    """A part crop may cut landmarks off; they keep their coordinates."""
    np.random.seed(5)
    mine = MineFaceSample(
        sample_ratios=dict(part=1), iou_ranges=dict(part=(0.4, 0.45)))
    found = False
    for _ in range(20):
        out = FaceResize(scale=(24, 24))(mine(loaded_results()))
        keypoints = out['gt_keypoints'][0]
        if ((keypoints < 0) | (keypoints > 24)).any():
            found = True
            expected = (loaded_results()['gt_keypoints'][0] -
                        out['crop_offset']) * out['scale_factor']
            np.testing.assert_allclose(keypoints, expected, rtol=1e-5)
    assert found


def test_draw_helper_marks_keypoint_pixel():
    img = np.zeros((20, 20, 3), np.uint8)
    draw_keypoints(img, [[5.5, 6.5]] * 5, radius=0)
    assert img[6, 5].any() and img.sum(-1).astype(bool).sum() == 1
