import numpy as np
import pytest
from _face_samples import (FACE_KEYPOINTS, colour_centroids, loaded_results,
                           make_info)

from mcfa_mm.datasets.metainfo import LEFT_EYE_INDEX, RIGHT_EYE_INDEX
from mcfa_mm.datasets.transforms import (FaceColorJitter, FaceRandomFlip,
                                         FaceResize)


def test_resize_keypoints_and_unclipped_boxes():
    results = loaded_results([
        make_info(),
        make_info(bbox=[200., 150., 260., 210.], keypoints=None)
    ])
    out = FaceResize(scale=(120, 50))(results)  # (w, h): x 0.5, y 0.25
    assert out['img_shape'] == (50, 120)
    np.testing.assert_allclose(out['gt_keypoints'][0],
                               np.array(FACE_KEYPOINTS) * [0.5, 0.25])
    # Unannotated keypoints stay zeros.
    np.testing.assert_array_equal(out['gt_keypoints'][1], np.zeros((5, 2)))
    # The second box leaves the image and is not clipped (part faces).
    np.testing.assert_allclose(out['gt_bboxes'].numpy()[1],
                               [100, 37.5, 130, 52.5])


def test_resize_keypoints_follow_pixels():
    """Each landmark's colour blob ends up centred on the landmark."""
    out = FaceResize(scale_factor=1.7)(loaded_results())
    centroids = colour_centroids(out['img'])
    np.testing.assert_allclose(centroids, out['gt_keypoints'][0], atol=0.5)


def test_flip_lands_on_flipped_face_with_eyes_swapped():
    results = loaded_results()
    out = FaceRandomFlip(prob=1.0)(results)
    assert out['flip'] and out['flip_direction'] == 'horizontal'
    keypoints = out['gt_keypoints'][0]
    box = out['gt_bboxes'].numpy()[0]
    np.testing.assert_allclose(box, [80, 60, 160, 150])  # 240 - [160, 80]
    # On the flipped face...
    assert ((keypoints >= box[:2]) & (keypoints <= box[2:])).all()
    # ...with the image-left eye still the left one.
    assert keypoints[LEFT_EYE_INDEX, 0] < keypoints[RIGHT_EYE_INDEX, 0]
    assert keypoints[3, 0] < keypoints[4, 0]
    # The new left eye is the mirror of the old right eye.
    np.testing.assert_allclose(keypoints[LEFT_EYE_INDEX], [
        240 - FACE_KEYPOINTS[RIGHT_EYE_INDEX][0],
        FACE_KEYPOINTS[RIGHT_EYE_INDEX][1]
    ])
    # Pixels: point i now sits on the blob painted for its mirror partner.
    centroids = colour_centroids(out['img'])
    np.testing.assert_allclose(
        centroids[[1, 0, 2, 4, 3]], keypoints, atol=1e-3)


@pytest.mark.parametrize('scale_factor', [1.0, 2.0, 0.5])
def test_integer_landmarks_stay_on_their_pixel(scale_factor):
    """CelebA's integer landmarks are pixel indices: loaded, resized and
    flipped, each still sits on the centre of the pixel(s) that marked it.
    (A flip of ``w - x`` without the loader's half pixel would be half a
    pixel off, and one pixel off against ``w - 1 - x``.)"""
    width = 61  # odd: the mirror axis falls inside a pixel
    points = [[10, 10], [41, 12], [25, 25], [15, 38], [46, 40]]
    info = make_info(bbox=[5., 5., 55., 47.], keypoints=points)
    loaded = loaded_results([info], img_hw=(50, width))
    np.testing.assert_array_equal(loaded['gt_keypoints'][0],
                                  np.array(points) + 0.5)
    resized = FaceResize(
        scale_factor=scale_factor, interpolation='nearest')(loaded)
    out = FaceRandomFlip(prob=1.0)(resized)
    keypoints = out['gt_keypoints'][0]
    scale_x, new_width = out['scale_factor'][0], out['img'].shape[1]
    np.testing.assert_allclose(keypoints[:, 0], [
        new_width - (points[i][0] + .5) * scale_x for i in (1, 0, 2, 4, 3)
    ], rtol=1e-6)
    if scale_factor >= 1:  # (a 2x shrink blurs the marks unevenly)
        centroids = colour_centroids(out['img'])[[1, 0, 2, 4, 3]]
        np.testing.assert_allclose(centroids, keypoints, atol=1e-3)


def test_flip_swaps_visibility_and_twice_is_identity():
    results = loaded_results()
    results['gt_keypoints_visible'][0] = [1, 0, 1, 1, 1]
    results['gt_keypoints'][0, 1] = 0  # unannotated -> zeros
    flip = FaceRandomFlip(prob=1.0)
    once = flip(dict(results, img=results['img'].copy()))
    np.testing.assert_array_equal(once['gt_keypoints_visible'][0],
                                  [0, 1, 1, 1, 1])
    np.testing.assert_array_equal(once['gt_keypoints'][0, 0], [0, 0])
    twice = flip(once)
    np.testing.assert_allclose(twice['gt_keypoints'], results['gt_keypoints'])
    np.testing.assert_array_equal(twice['gt_keypoints_visible'],
                                  results['gt_keypoints_visible'])


@pytest.mark.parametrize('direction',
                         ['vertical', 'diagonal', ['horizontal', 'vertical']])
def test_flip_other_directions_not_implemented(direction):
    with pytest.raises(NotImplementedError, match='horizontally'):
        FaceRandomFlip(prob=0.5, direction=direction)


def test_color_jitter():
    rng = np.random.RandomState(0)
    img = rng.randint(0, 256, (64, 64, 3)).astype(np.uint8)
    # prob 0: untouched.
    out = FaceColorJitter(prob=0.)(dict(img=img.copy()))
    np.testing.assert_array_equal(out['img'], img)
    # Zero strengths: every factor is 1, identity.
    out = FaceColorJitter(0., 0., 0., prob=1.)(dict(img=img.copy()))
    np.testing.assert_array_equal(out['img'], img)
    # Brightness only scales.
    np.random.seed(0)
    out = FaceColorJitter(0.5, 0., 0., prob=1.)(dict(img=img.copy()))
    assert out['img'].dtype == np.uint8 and out['img'].shape == img.shape
    assert not np.array_equal(out['img'], img)
    # Single-channel images are jittered too (no saturation).
    grey = img[..., 0]
    out = FaceColorJitter(prob=1.)(dict(img=grey.copy()))
    assert out['img'].shape == grey.shape and out['img'].dtype == np.uint8


def test_color_jitter_keeps_grey_pixels_grey():
    """Saturation and contrast act on grey pixels without tinting them."""
    img = np.repeat(np.arange(64, dtype=np.uint8)[None, :, None] * 4, 3, 2)
    img = np.repeat(img, 8, 0)
    np.random.seed(0)
    out = FaceColorJitter(0.3, 0.3, 0.9, prob=1.)(dict(img=img))['img']
    assert (np.abs(out.astype(int) - out[..., :1]) <= 1).all()


def test_color_jitter_is_mmcvs_adjustments():
    """The registered FaceColorJitter applies mmcv's adjust_* with factors
    drawn in [1 - v, 1 + v]."""
    import mmcv
    img = np.random.default_rng(0).integers(0, 256, (16, 20, 3),
                                            dtype=np.uint8)
    np.random.seed(5)
    out = FaceColorJitter(0.4, 0.3, 0.5, prob=1.)(dict(img=img.copy()))
    np.random.seed(5)
    np.random.rand()  # the prob draw
    b, c, s = (np.random.uniform(1 - v, 1 + v) for v in (0.4, 0.3, 0.5))
    expected = mmcv.adjust_color(
        mmcv.adjust_contrast(mmcv.adjust_brightness(img, b), c), s)
    np.testing.assert_array_equal(out['img'], expected)
