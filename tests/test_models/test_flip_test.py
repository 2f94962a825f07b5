"""Flip test (``test_cfg.flip``): mirrored outputs mapped back, averaged."""
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample

from mcfa_mm.models.detectors.flip_test import flip_averaged, unflip_outputs
from mcfa_mm.testing import tiny_mcfa_config

SIDE = 64


def test_unflip_outputs_by_hand():
    outs = dict(
        bbox=torch.tensor([[0.1, 0.2, -0.3, -0.05]]),
        # left eye, right eye, nose, left mouth, right mouth
        landmark=torch.tensor([[0.3, 0.4, 0.7, 0.45, 0.5, 0.6, 0.35, 0.8,
                                0.6, 0.82]]),
        attribute=torch.tensor([[1.5, -2.0]]))
    back = unflip_outputs(outs)
    # mirrored box x1 = 0.1, x2 = 0.7 -> unmirrored x1 = 0.3, x2 = 0.9
    torch.testing.assert_close(back['bbox'],
                               torch.tensor([[0.3, 0.2, -0.1, -0.05]]))
    # x -> 1 - x, then the eyes swap and the mouth corners swap
    torch.testing.assert_close(
        back['landmark'],
        torch.tensor([[0.3, 0.45, 0.7, 0.4, 0.5, 0.6, 0.4, 0.82, 0.65,
                       0.8]]))
    assert back['attribute'] is outs['attribute']


def test_flip_averaged_is_the_mean_of_both_passes():
    crops = torch.randn(3, 3, 8, 8)

    def forward(x):
        return dict(attribute=x.mean((2, 3)),
                    landmark=x[:, :1, 0, :].repeat(1, 1, 2).flatten(1)[:, :10])

    averaged = flip_averaged(forward, crops)
    plain, mirrored = forward(crops), unflip_outputs(forward(crops.flip(-1)))
    for key in plain:
        torch.testing.assert_close(averaged[key],
                                   (plain[key] + mirrored[key]) / 2)


def _predict(model, inputs):
    samples = [
        DetDataSample(metainfo=dict(img_shape=(SIDE, SIDE),
                                    scale_factor=(1., 1.)))
        for _ in inputs
    ]
    return [s.pred_instances for s in model.predict(inputs, samples)]


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    model = MODELS.build(tiny_mcfa_config(input_size=SIDE)).eval()
    model.test_cfg.update(flip=True)
    return model


def test_flip_test_predicts_a_mirrored_crop_as_the_mirror(model):
    inputs = torch.randn(2, 3, SIDE, SIDE)
    preds = _predict(model, inputs)
    mirrored = _predict(model, inputs.flip(-1))
    for pred, mirror in zip(preds, mirrored):
        torch.testing.assert_close(mirror.attribute_scores,
                                   pred.attribute_scores)
        torch.testing.assert_close(mirror.scores, pred.scores)
        points = pred.keypoints[:, [1, 0, 2, 4, 3]]
        torch.testing.assert_close(mirror.keypoints[..., 0],
                                   SIDE - points[..., 0])
        torch.testing.assert_close(mirror.keypoints[..., 1], points[..., 1])
        torch.testing.assert_close(mirror.bboxes[:, [2, 0]],
                                   SIDE - pred.bboxes[:, [0, 2]])
    # and it is not the plain prediction
    model.test_cfg['flip'] = False
    try:
        plain = _predict(model, inputs)
    finally:
        model.test_cfg['flip'] = True
    assert not torch.allclose(plain[0].keypoints, preds[0].keypoints)


def test_flip_test_refuses_padded_crops(model):
    inputs = torch.randn(1, 3, SIDE, SIDE)
    sample = DetDataSample(metainfo=dict(img_shape=(SIDE - 8, SIDE),
                                         scale_factor=(1., 1.)))
    with pytest.raises(ValueError, match='fill the batch tensor'):
        model.predict(inputs, [sample])


def test_cascade_flip_averages_l_net_windows(model):
    from mcfa_mm.models.detectors.cascade import CascadeFaceFinder
    image = torch.randn(3, 96, 96)
    boxes = torch.tensor([[0., 0., 64., 64.], [20., 10., 90., 80.]])
    finder = CascadeFaceFinder(model, dict(flip=True))
    plain = CascadeFaceFinder(model, dict(flip=False))
    crops = finder.crop_windows(image, boxes)
    expected = flip_averaged(
        lambda x: model.head.last_stage_outputs(model.extract_feat(x, 3)),
        crops)
    got = finder.stage_outputs(image, boxes, 3)
    for key in expected:
        torch.testing.assert_close(got[key], expected[key])
    # M_Net is not flipped
    torch.testing.assert_close(finder.stage_outputs(image, boxes, 2)['bbox'],
                               plain.stage_outputs(image, boxes, 2)['bbox'])
