"""Whole-image cascade prediction with a tiny (untrained) model."""
import numpy as np
import pytest
import torch

from mcfa_mm.apis import inference_faces
from mcfa_mm.datasets.transforms.mining import crop_results
from mcfa_mm.models.detectors.cascade import (CascadeFaceFinder,
                                              calibrate_boxes, square_boxes)
from mmdet.registry import MODELS, TRANSFORMS
from mcfa_mm.testing import tiny_mcfa_config


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    model = MODELS.build(tiny_mcfa_config(input_size=64)).eval()
    model.test_cfg.update(mode='cascade')
    model.test_cfg['cascade'].update(min_face_size=16,
                                     thresholds=(0.0, 0.0, 0.0))
    return model


def with_cascade(test_cfg: dict, **changes) -> dict:
    """A copy of ``test_cfg`` with some cascade settings changed."""
    return dict(test_cfg, cascade=dict(test_cfg['cascade'], **changes))


def _images(demo_data_root):
    import cv2
    import glob
    faces = sorted(glob.glob(f'{demo_data_root}/Img/img_celeba/*.jpg'))
    backgrounds = sorted(glob.glob(f'{demo_data_root}/Img/backgrounds/*.jpg'))
    one = cv2.imread(faces[0])
    two = np.concatenate([one, cv2.imread(faces[1])], axis=1)
    none = cv2.imread(backgrounds[0]) if backgrounds else np.zeros_like(one)
    small = cv2.resize(one, (72, 90))
    return [one, two, none, small]


def test_cascade_output_structure(model, demo_data_root):
    images = _images(demo_data_root)
    results = inference_faces(model, images)
    assert len(results) == len(images)
    for image, result in zip(images, results):
        pred = result.pred_instances
        count = len(pred)
        assert pred.bboxes.shape == (count, 4)
        assert pred.keypoints.shape == (count, 5, 2)
        assert pred.attribute_scores.shape == (count, 8)
        height, width = image.shape[:2]
        assert (pred.bboxes[:, 0::2] >= 0).all()
        assert (pred.bboxes[:, 0::2] <= width).all()
        assert (pred.bboxes[:, 1::2] <= height).all()
        counts = pred.metainfo['num_proposals']
        assert counts['s'] >= counts['m'] >= counts['l'] >= count
        assert count <= model.test_cfg['cascade']['max_per_img']
        # best first
        assert (pred.scores[:-1] >= pred.scores[1:]).all()


def test_crop_mode_call_leaves_cascade_mode(model, demo_data_root):
    image = _images(demo_data_root)[1]
    pred = inference_faces(model, image, mode='crop').pred_instances
    # crop mode ran: the whole image is one face, without proposals
    assert len(pred) == 1 and 'num_proposals' not in pred.metainfo
    assert model.test_cfg['mode'] == 'cascade'
    assert 'num_proposals' in inference_faces(
        model, image).pred_instances.metainfo


def test_thresholds_reduce_proposals(model, demo_data_root):
    """Each stage keeps only the windows its threshold passes.

    The thresholds are set between the untrained model's own scores of
    each stage (their median with the thresholds at 0), so a stage that
    ignored its threshold would keep windows scored below it.
    """
    image = _images(demo_data_root)[1]
    tensor = _normalise(model, image)
    finder = CascadeFaceFinder(model, model.test_cfg)
    loose_boxes, loose_s = finder.propose(tensor)
    _, loose_m, _ = finder.refine(tensor, loose_boxes, 2)
    _, loose_l, _ = finder.refine(tensor, loose_boxes, 3)
    thresholds = tuple(
        scores.median().item() for scores in (loose_s, loose_m, loose_l))
    for scores, threshold in zip((loose_s, loose_m, loose_l), thresholds):
        # the fixture really has windows on both sides of the threshold
        assert (scores <= threshold).any() and (scores > threshold).any()

    strict = CascadeFaceFinder(
        model, with_cascade(model.test_cfg, thresholds=thresholds))
    boxes, scores = strict.propose(tensor)
    assert 0 < len(boxes) < len(loose_boxes)
    assert (scores > thresholds[0]).all()
    # M and L refine the same (loose) proposals, each with its threshold
    for stage, loose in ((2, loose_m), (3, loose_l)):
        boxes, scores, outs = strict.refine(tensor, loose_boxes, stage)
        assert 0 < len(boxes) < len(loose)
        assert (scores > thresholds[stage - 1]).all()
        assert len(outs['window']) == len(boxes)

    # and through the whole cascade: fewer candidates leave every stage
    metas = [dict(img_shape=image.shape[:2])]
    counts, loose_counts = (
        cascade.predict(tensor[None], metas)[0].metainfo['num_proposals']
        for cascade in (strict, finder))
    assert all(counts[k] < loose_counts[k] for k in 'sml'), (counts,
                                                              loose_counts)


def _normalise(model, bgr: np.ndarray) -> torch.Tensor:
    """An HWC uint8 BGR image as the network sees it: (3, H, W)."""
    data = model.data_preprocessor(
        dict(inputs=[torch.from_numpy(bgr).permute(2, 0, 1).contiguous()]),
        False)
    return data['inputs'][0]


def test_window_leaving_the_image_is_the_training_crop(
        model, demo_data_root):
    """A window half outside the photo gives the network the same input
    in the cascade as the training crop of that window (MineFaceSample /
    CropFace pad with black raw pixels, then FaceResize)."""
    import glob

    import cv2
    face = cv2.imread(
        sorted(glob.glob(f'{demo_data_root}/Img/img_celeba/*.jpg'))[0])
    height, width = face.shape[:2]
    size = model.backbone.input_size
    x1, y1, side = -30, -20, 60  # half of the window is outside
    results = dict(img=face, img_shape=(height, width))
    crop_results(results, (x1, y1, x1 + side, y1 + side))
    results = TRANSFORMS.build(
        dict(type='FaceResize', scale=(size, size),
             keep_ratio=False)).transform(results)
    trained = _normalise(model, results['img'])

    finder = CascadeFaceFinder(model, model.test_cfg)
    box = torch.tensor([[x1, y1, x1 + side, y1 + side]], dtype=torch.float32)
    seen = finder.crop_windows(_normalise(model, face)[:, :height, :width],
                               box)[0]
    # the rows and columns of the crop that lie outside the photo (one
    # pixel of margin: both resizes blend the edge)
    outside = int(size * (0 - y1) / side) - 2, int(size * (0 - x1) / side) - 2
    black = trained[:, :outside[0], :]
    # one colour, black (about -2 after normalisation), not the mean (0)
    assert (black - black[:, :1, :1]).abs().max() < 1e-4
    assert (black < -1.5).all()
    torch.testing.assert_close(seen[:, :outside[0], :], black)
    torch.testing.assert_close(seen[:, :, :outside[1]],
                               trained[:, :, :outside[1]])
    # inside: bilinear roi_align against cv2, a few grey levels apart
    assert (seen - trained).abs().mean() < 4 / 57


def test_slide_cell_is_the_window_crop(model):
    """Cell (y, x) of S_Net slid over an image is S_Net on the window
    ``[8x, 8y, 8x + w, 8y + w]`` cropped with the context its padded convs
    see in the slide (cropped alone, zero padding at the crop's border
    changes the outer pixels' features: a property of VGG's padded convs,
    not of the slide)."""
    backbone = model.backbone
    window = backbone.input_size // 4
    torch.manual_seed(1)
    image = torch.randn(1, 3, 120, 136)
    margin = 24  # >= how far zero padding reaches into S_Net (18 px)
    with torch.no_grad():
        slid = backbone.slide_s_net(image)[0]
        assert slid.shape[1:] == ((120 - window) // 8 + 1,
                                  (136 - window) // 8 + 1)
        for y, x in ((5, 6), (6, 4), (4, 8)):
            x0, y0 = 8 * x, 8 * y
            context = image[..., y0 - margin:y0 + window + margin,
                            x0 - margin:x0 + window + margin]
            cell = backbone.slide_s_net(context)[0][:, margin // 8,
                                                    margin // 8]
            torch.testing.assert_close(cell, slid[:, y, x])
            # the neighbouring windows are other features
            assert not torch.allclose(cell, slid[:, y, x + 1])
            assert not torch.allclose(cell, slid[:, y + 1, x])


def test_calibrate_and_square_boxes_by_hand():
    windows = torch.tensor([[10., 20., 50., 60.], [0., 0., 8., 8.]])
    offsets = torch.tensor([[0.1, -0.05, 0.2, 0.0], [0., 0., 0., 0.]])
    # side 40: x1 = 10 + 4, y1 = 20 - 2, x2 = 10 + 1.2 * 40, y2 = 20 + 40
    torch.testing.assert_close(
        calibrate_boxes(windows, offsets),
        torch.tensor([[14., 18., 58., 60.], [0., 0., 8., 8.]]))
    # centre (5, 2), longer side 10; centre (3, 6), longer side 4
    torch.testing.assert_close(
        square_boxes(torch.tensor([[0., 0., 10., 4.], [2., 4., 4., 8.]])),
        torch.tensor([[0., -3., 10., 7.], [1., 4., 5., 8.]]))


def test_max_per_img_keeps_the_best_after_nms(model, demo_data_root):
    image = _images(demo_data_root)[0]
    saved = model.test_cfg
    model.test_cfg = with_cascade(saved, max_per_img=1000, max_proposals=100)
    try:
        everything = inference_faces(model, image).pred_instances
        model.test_cfg['cascade']['max_per_img'] = 3
        best = inference_faces(model, image).pred_instances
    finally:
        model.test_cfg = saved
    assert len(everything) > 3 and len(best) == 3
    # the 3 best of the same L_Net output, in score order
    torch.testing.assert_close(best.scores, everything.scores[:3])
    torch.testing.assert_close(best.bboxes, everything.bboxes[:3])
    assert best.metainfo['num_proposals'] == \
        everything.metainfo['num_proposals']


def test_max_per_img_without_landmark_task(demo_data_root):
    """FD_FAC (no landmark task): more faces than max_per_img used to
    index the placeholder points with ``order`` (IndexError)."""
    torch.manual_seed(0)
    model = MODELS.build(
        tiny_mcfa_config(input_size=64,
                         tasks=('face_cls', 'bbox', 'attribute'))).eval()
    model.test_cfg = with_cascade(
        dict(model.test_cfg, mode='cascade'), min_face_size=16,
        thresholds=(0.0, 0.0, 0.0), max_per_img=2, max_proposals=50)
    pred = inference_faces(model, _images(demo_data_root)[0]).pred_instances
    assert pred.metainfo['num_proposals']['l'] > 2 and len(pred) == 2
    assert pred.keypoints.shape == (2, 5, 2)
    # no landmark output: every point at its window's centre
    assert torch.allclose(pred.keypoints, pred.keypoints[:, :1])


def test_stage_boxes_on_request(model, demo_data_root):
    image = _images(demo_data_root)[3]
    pred = inference_faces(model, image).pred_instances
    assert 'stage_boxes' not in pred.metainfo
    finder = CascadeFaceFinder(
        model,
        with_cascade(model.test_cfg, return_stage_boxes=True,
                     max_proposals=100))
    tensor = _normalise(model, image)
    result = finder.predict(tensor[None], [dict(
        img_shape=image.shape[:2])])[0]
    stages = result.metainfo['stage_boxes']
    assert {k: len(v) for k, v in stages.items()} == \
        result.metainfo['num_proposals']
    # the stage loop's own boxes
    boxes, _ = finder.propose(tensor)
    torch.testing.assert_close(stages['s'], boxes)
    boxes, _, _ = finder.refine(tensor, boxes, 2)
    torch.testing.assert_close(stages['m'], boxes)
    boxes, _, _ = finder.refine(tensor, boxes, 3)
    torch.testing.assert_close(stages['l'], boxes)


def test_pyramid_scales(model):
    finder = CascadeFaceFinder(model, model.test_cfg)
    scales = finder.pyramid_scales(64, 100)
    assert scales[0] == pytest.approx(16 / 16)
    assert all(64 * s >= 16 for s in scales)
    assert scales == sorted(scales, reverse=True)


def test_max_pyramid_side_bounds_the_first_level(model):
    cfg = with_cascade(model.test_cfg, min_face_size=16)  # window 16: scale 1
    bounded = CascadeFaceFinder(model, with_cascade(cfg,
                                                    max_pyramid_side=1000))
    # a 4000 x 3000 photo starts at 1000 x 750
    assert bounded.pyramid_scales(3000, 4000)[0] == pytest.approx(0.25)
    # a small photo is not enlarged past its min_face_size scale
    assert bounded.pyramid_scales(300, 400)[0] == pytest.approx(1.0)
    free = CascadeFaceFinder(model, with_cascade(cfg, max_pyramid_side=None))
    assert free.pyramid_scales(3000, 4000)[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match='max_pyramid_side'):
        CascadeFaceFinder(model, with_cascade(cfg, max_pyramid_side=8))


def test_shrunk_window_crop_is_the_training_resize(model, demo_data_root):
    """A window larger than the input is shrunk as ``FaceResize`` shrinks
    training crops (cv2's bilinear, one sample per pixel): roi_align with
    two samples per side averages more and drifts from it."""
    import glob

    import cv2
    import mmcv
    face = cv2.resize(
        cv2.imread(
            sorted(glob.glob(f'{demo_data_root}/Img/img_celeba/*.jpg'))[0]),
        (300, 300))
    image = torch.from_numpy(face).permute(2, 0, 1).float()
    box = torch.tensor([[10., 10., 210., 210.]])
    size = model.backbone.input_size
    expected = mmcv.imresize(face[10:210, 10:210], (size, size))

    def drift(sampling_ratio: int) -> float:
        finder = CascadeFaceFinder(model, with_cascade(
            model.test_cfg, crop_sampling_ratio=sampling_ratio))
        crop = finder.crop_windows(image, box)[0].permute(1, 2, 0).numpy()
        return float(np.abs(crop - expected).mean())

    assert model.test_cfg['cascade']['crop_sampling_ratio'] == 1
    assert drift(1) < 0.5 < drift(2)


def test_min_face_fraction_searches_small_photos_deeper(model):
    """On a small photo the smallest face searched is a fraction of its
    shorter side when that is below ``min_face_size``; large photos keep
    ``min_face_size``."""
    cfg = with_cascade(model.test_cfg, min_face_size=40,
                       min_face_fraction=None, max_pyramid_side=None)
    plain = CascadeFaceFinder(model, cfg)
    scaled = CascadeFaceFinder(model, with_cascade(cfg,
                                                   min_face_fraction=0.25))
    # 80 x 80: faces from 20 px (window 16: scale 0.8) instead of 40 (0.4)
    assert plain.pyramid_scales(80, 80)[0] == pytest.approx(16 / 40)
    assert scaled.pyramid_scales(80, 80)[0] == pytest.approx(16 / 20)
    # 400 x 600: a quarter of 400 is 100 > 40, so 40 rules
    assert scaled.pyramid_scales(400, 600) == plain.pyramid_scales(400, 600)


def test_bad_scale_factor(model):
    with pytest.raises(ValueError, match='scale_factor'):
        CascadeFaceFinder(model, dict(cascade=dict(scale_factor=1.5)))


def test_level_nms_threshold_is_used(model, demo_data_root):
    """S's NMS within each pyramid level follows the setting (it was a
    hard-coded 0.5): with S's across-level NMS off, a lower IoU leaves
    fewer proposals."""
    tensor = _normalise(model, _images(demo_data_root)[0])

    def proposals(level_iou: float) -> int:
        finder = CascadeFaceFinder(model, with_cascade(
            model.test_cfg, level_nms_threshold=level_iou,
            nms_thresholds=(1.0, 0.7, 0.3), max_proposals=10**6))
        return len(finder.propose(tensor)[0])

    assert proposals(1.0) >= proposals(0.5) > proposals(0.2) > 0


def test_test_cfg_is_nested_and_complete():
    """One source of cascade defaults; typos are errors; the old flat
    layout is moved under ``cascade`` with a warning."""
    from mcfa_mm.models.detectors.cascade import CASCADE_DEFAULTS
    from mcfa_mm.models.detectors.mcfa import nested_test_cfg
    cfg = nested_test_cfg(dict(flip=True, cascade=dict(min_face_size=20)))
    assert cfg['mode'] == 'crop' and cfg['flip'] is True
    assert cfg['cascade'] == dict(CASCADE_DEFAULTS, min_face_size=20)
    with pytest.warns(FutureWarning, match='min_face_size'):
        old = nested_test_cfg(dict(mode='cascade', min_face_size=20))
    assert old['cascade'] == cfg['cascade'] and 'min_face_size' not in old
    with pytest.raises(ValueError, match='min_face'):
        nested_test_cfg(dict(cascade=dict(min_face=20)))
    with pytest.raises(ValueError, match='thresholdz'):
        nested_test_cfg(dict(thresholdz=(0.5, 0.5, 0.5)))
    with pytest.raises(ValueError, match='mode'):
        nested_test_cfg(dict(mode='sliding'))


def test_window_crop_is_the_training_crop(model, demo_data_root):
    """Each stage must see a window as training showed it a face: the
    box cut out and resized, here from a view of a padded batch (the
    layout the detector's data preprocessor hands the cascade)."""
    import glob

    import cv2
    import mmcv
    face = cv2.imread(
        sorted(glob.glob(f'{demo_data_root}/Img/img_celeba/*.jpg'))[0])
    height, width = face.shape[:2]
    padded = torch.zeros(3, height + 13, width + 7)
    padded[:, :height, :width] = torch.from_numpy(face).permute(2, 0, 1)
    view = padded[:, :height, :width]
    assert not view.is_contiguous()
    finder = CascadeFaceFinder(model, model.test_cfg)
    x1, y1, side = 10, 12, 40
    box = torch.tensor([[x1, y1, x1 + side, y1 + side]], dtype=torch.float32)
    crop = finder.crop_windows(view, box)[0].permute(1, 2, 0).numpy()
    size = model.backbone.input_size
    expected = mmcv.imresize(face[y1:y1 + side, x1:x1 + side],
                             (size, size)).astype(np.float32)
    # bilinear sampling of roi_align against cv2: a few grey levels apart;
    # reading the wrong rows would be tens of levels apart
    assert np.abs(crop - expected).mean() < 4
    torch.testing.assert_close(
        finder.crop_windows(view.clone(), box), finder.crop_windows(view, box))
