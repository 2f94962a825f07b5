import numpy as np
import pytest
from _face_samples import (FACE_BOX, FACE_KEYPOINTS, iou_xyxy, loaded_results,
                           make_info)

from mcfa_mm.datasets.metainfo import FACE, NON_FACE, PART_FACE
from mcfa_mm.datasets.transforms import CropFace, MineFaceSample

#: MCFA's ranges: non-faces barely touch the face.
MCFA_IOU_RANGES = dict(
    positive=(0.65, 1.0), part=(0.4, 0.65), negative=(0.0, 0.001))
FACE_LABELS = dict(positive=FACE, part=PART_FACE, negative=NON_FACE)


def crop_box(results) -> list:
    """The crop in original-image pixels, from the keys it leaves."""
    x0, y0 = results['crop_offset']
    h, w = results['img_shape'][:2]
    return [x0, y0, x0 + w, y0 + h]


def in_range(iou, low, high):
    return low <= iou and (iou < high or high >= 1)


def only(mining_type):
    return {t: float(t == mining_type) for t in FACE_LABELS}


@pytest.mark.parametrize('mining_type', ['positive', 'part', 'negative'])
@pytest.mark.parametrize('max_trials', [50, 0])
def test_mined_iou_in_range(mining_type, max_trials):
    """Many seeded draws (and the deterministic fallback, max_trials=0)
    all land in the configured IoU range."""
    np.random.seed(0)
    transform = MineFaceSample(
        sample_ratios=only(mining_type),
        iou_ranges=MCFA_IOU_RANGES,
        max_trials=max_trials)
    low, high = MCFA_IOU_RANGES[mining_type]
    offsets = set()
    for _ in range(150 if max_trials else 5):
        results = transform(loaded_results(draw=False))
        assert results['mining_type'] == mining_type
        assert results['face_label'] == FACE_LABELS[mining_type]
        crop = crop_box(results)
        assert crop[2] - crop[0] == crop[3] - crop[1], 'crops are square'
        assert results['img'].shape[:2] == results['img_shape']
        iou = iou_xyxy(crop, FACE_BOX)
        assert in_range(iou, low, high), (crop, iou)
        assert results['mined_iou'] == pytest.approx(iou)
        offsets.add(tuple(crop))
        num = 0 if mining_type == 'negative' else 1
        assert len(results['gt_bboxes']) == num
        assert results['gt_keypoints'].shape == (num, 5, 2)
        assert results['gt_keypoints_visible'].shape == (num, 5)
        assert results['gt_attributes'].shape == (num, 3)
        assert results['gt_box_known'].shape == (num, )
        if num:
            # Boxes and keypoints move with the crop, unclipped.
            np.testing.assert_allclose(
                results['gt_bboxes'].numpy()[0],
                np.array(FACE_BOX) - np.tile(results['crop_offset'], 2))
            np.testing.assert_allclose(
                results['gt_keypoints'][0],
                np.array(FACE_KEYPOINTS) - results['crop_offset'])
    if max_trials:
        # Random draws, not the fallback every time.
        assert len(offsets) > 50


def test_mining_type_ratios():
    np.random.seed(1)
    transform = MineFaceSample(
        sample_ratios=dict(positive=3, part=1, negative=3))
    counts = dict(positive=0, part=0, negative=0)
    for _ in range(280):
        counts[transform(loaded_results(draw=False))['mining_type']] += 1
    assert 80 <= counts['positive'] <= 160
    assert 20 <= counts['part'] <= 60
    assert 80 <= counts['negative'] <= 160


def test_mining_is_seeded():
    transform = MineFaceSample()
    outs = []
    for _ in range(2):
        np.random.seed(123)
        outs.append([
            tuple(crop_box(transform(loaded_results(draw=False))))
            for _ in range(10)
        ])
    assert outs[0] == outs[1]


def test_crop_pads_with_zeros_and_keeps_pixels():
    """A crop leaving the image is zero-padded; inside pixels are kept."""
    results = loaded_results()
    results['img'][:] = 7
    box = [0., 0., 40., 40.]  # face in the corner: positives leave the image
    results['gt_bboxes'].tensor[0] = results['gt_bboxes'].tensor.new_tensor(
        box)
    np.random.seed(3)
    out = MineFaceSample(sample_ratios=only('positive'))(results)
    x0, y0 = out['crop_offset'].astype(int)
    img = out['img']
    h, w = img.shape[:2]
    rows, cols = np.arange(h) + y0, np.arange(w) + x0
    inside = ((rows >= 0) & (rows < 200))[:, None] & ((cols >= 0) &
                                                      (cols < 240))[None]
    assert (img[inside] == 7).all()
    assert (img[~inside] == 0).all()


def test_unknown_box_passes_through():
    results = loaded_results([make_info(bbox=None)], draw=False)
    img = results['img']
    out = MineFaceSample(sample_ratios=only('negative'))(results)
    assert out['img'] is img
    assert out['mining_type'] == 'positive' and out['face_label'] == FACE
    assert len(out['gt_bboxes']) == 1


def test_face_covering_image_falls_back_to_positive():
    """No non-face crop exists: a positive is mined instead."""
    np.random.seed(0)
    results = loaded_results(
        [make_info(bbox=[2., 2., 58., 58.], keypoints=None)],
        img_hw=(60, 60),
        draw=False)
    out = MineFaceSample(
        sample_ratios=only('negative'), iou_ranges=MCFA_IOU_RANGES)(
            results)
    assert out['mining_type'] == 'positive'
    assert in_range(iou_xyxy(crop_box(out), [2, 2, 58, 58]), 0.65, 1.0)


def test_image_without_faces_gives_negatives():
    np.random.seed(0)
    for _ in range(5):
        out = MineFaceSample(sample_ratios=only('positive'))(
            loaded_results([], draw=False))
        assert out['mining_type'] == 'negative'
        assert out['face_label'] == NON_FACE
        x0, y0, x1, y1 = crop_box(out)
        assert x0 >= 0 and y0 >= 0 and x1 <= 240 and y1 <= 200


@pytest.mark.parametrize('faces, img_hw', [
    # a 20 x 2 box: no square reaches IoU 0.4 with it, and every 12 px
    # square of the 20 x 20 image touches it (no MCFA non-face)
    ([make_info(bbox=[0., 9., 20., 11.], keypoints=None)], (20, 20)),
    # no face, and too small for a 12 px non-face
    ([], (10, 10)),
])
def test_image_without_any_sample_is_dropped(faces, img_hw):
    """Nothing minable: None (mmengine's dataset then draws another image),
    not the whole image under a label it does not have."""
    np.random.seed(0)
    mine = MineFaceSample(iou_ranges=MCFA_IOU_RANGES, max_trials=5)
    for _ in range(3):
        assert mine(loaded_results(faces, img_hw=img_hw, draw=False)) is None


def test_mine_rejects_bad_config():
    with pytest.raises(ValueError):
        MineFaceSample(sample_ratios=dict(faces=1))
    with pytest.raises(ValueError):
        MineFaceSample(iou_ranges=dict(part=(0.7, 0.4)))
    with pytest.raises(ValueError):
        MineFaceSample(sample_ratios=dict(positive=0, part=0, negative=0))


def test_crop_face():
    results = loaded_results()
    out = CropFace(enlarge=1.3)(results)
    # Long side 90 -> 117; centred on (120, 105).
    assert out['img_shape'] == (117, 117)
    np.testing.assert_allclose(out['crop_offset'], [62, 47])
    np.testing.assert_allclose(out['gt_keypoints'][0],
                               np.array(FACE_KEYPOINTS) - [62, 47])
    # The keypoint colours are still under the keypoints.
    for (x, y), colour in zip(out['gt_keypoints'][0],
                              [[255, 0, 0], [0, 255, 0]]):
        np.testing.assert_array_equal(out['img'][int(y), int(x)], colour)


def test_crop_face_noop_without_box():
    results = loaded_results([make_info(bbox=None)], draw=False)
    img = results['img']
    out = CropFace()(results)
    assert out['img'] is img
    np.testing.assert_array_equal(out['crop_offset'], [0, 0])
