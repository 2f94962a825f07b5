"""Whole-image cascade prediction with a tiny (untrained) model."""
import numpy as np
import pytest
import torch

from mcfa_mm.apis import inference_faces
from mcfa_mm.models.detectors.cascade import CascadeFaceFinder
from mmdet.registry import MODELS
from mcfa_mm.testing import tiny_mcfa_config


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    model = MODELS.build(tiny_mcfa_config(input_size=64)).eval()
    model.test_cfg.update(mode='cascade', min_face_size=16,
                          thresholds=(0.0, 0.0, 0.0))
    return model


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
        assert count <= model.test_cfg.get('max_per_img', 100)
    # the mode is restored after the call
    assert model.test_cfg['mode'] == 'cascade'


def test_thresholds_reduce_proposals(model, demo_data_root):
    image = _images(demo_data_root)[1]
    loose = inference_faces(model, image).pred_instances
    model.test_cfg['thresholds'] = (0.5, 0.5, 0.5)
    try:
        strict = inference_faces(model, image).pred_instances
    finally:
        model.test_cfg['thresholds'] = (0.0, 0.0, 0.0)
    assert strict.metainfo['num_proposals']['s'] <= \
        loose.metainfo['num_proposals']['s']
    assert loose.metainfo['num_proposals']['s'] > 0


def test_crops_leaving_the_image_are_padded(model):
    finder = CascadeFaceFinder(model, model.test_cfg)
    image = torch.rand(3, 40, 40)
    boxes = torch.tensor([[-20., -20., 30., 30.], [10., 10., 70., 70.]])
    refined, scores, _ = finder.refine(image, boxes, 2)
    # threshold 0: both windows survive NMS-free (they barely overlap)
    assert len(refined) == 2 and len(scores) == 2


def test_pyramid_scales(model):
    finder = CascadeFaceFinder(model, model.test_cfg)
    scales = finder.pyramid_scales(64, 100)
    assert scales[0] == pytest.approx(16 / 16)
    assert all(64 * s >= 16 for s in scales)
    assert scales == sorted(scales, reverse=True)


def test_bad_scale_factor(model):
    with pytest.raises(ValueError, match='scale_factor'):
        CascadeFaceFinder(model, dict(scale_factor=1.5))


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
