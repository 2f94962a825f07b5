"""Training crops stay bit-identical when their implementation changes.

The digest below was recorded with the hand-written crop and IoU code that
mmcv.imcrop and mmdet's bbox_overlaps replaced: a change of any mined crop
(its type, box, pixels or moved annotations) changes the digest.
"""
import hashlib

import numpy as np
from _face_samples import loaded_results, make_info

from mcfa_mm.datasets.transforms import CropFace, MineFaceSample

#: sha1 of every sample below, as recorded before the library swap.
PINNED = 'bd683d3c668f5cafe92c191de0545ad280b4b43f'


def _samples():
    """Faces inside, at the border and half outside images of a few
    sizes, with random pixels, through the configs' transforms."""
    rng = np.random.default_rng(0)
    transforms = [
        MineFaceSample(sample_ratios=dict(positive=2, part=1, negative=1),
                       iou_ranges=dict(negative=(0.0, 0.001))),
        MineFaceSample(sample_ratios=dict(positive=1, part=1, negative=3),
                       iou_ranges=dict(negative=(0.0, 0.3))),
        CropFace(enlarge=1.1),
        CropFace(enlarge=1.3),
    ]
    np.random.seed(0)
    for index in range(60):
        h, w = int(rng.integers(60, 200)), int(rng.integers(60, 200))
        side = float(rng.integers(12, 60))
        x0 = float(rng.integers(-side // 2, w - side // 2))
        y0 = float(rng.integers(-side // 2, h - side // 2))
        box = [x0, y0, x0 + side * rng.uniform(0.7, 1.2), y0 + side]
        points = [[int(x0 + side * u), int(y0 + side * v)]
                  for u, v in ((.3, .4), (.7, .4), (.5, .6), (.35, .8),
                               (.65, .8))]
        results = loaded_results([make_info(bbox=box, keypoints=points)],
                                 img_hw=(h, w), draw=False)
        results['img'] = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        out = transforms[index % len(transforms)](results)
        if out is not None:
            yield out


def _digest() -> str:
    sha = hashlib.sha1()
    for out in _samples():
        sha.update(out['img'].tobytes())
        sha.update(repr(out['img'].shape).encode())
        sha.update(np.asarray(out['crop_offset'], np.float32).tobytes())
        sha.update(out['gt_bboxes'].numpy().astype(np.float32).tobytes())
        sha.update(np.asarray(out['gt_keypoints'], np.float32).tobytes())
        sha.update(str(out.get('mining_type')).encode())
        sha.update(repr(out.get('mined_iou')).encode())
    return sha.hexdigest()


def test_training_and_test_crops_are_pinned():
    assert _digest() == PINNED
