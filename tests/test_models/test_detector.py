import copy

import pytest
import torch
from mmengine.optim import build_optim_wrapper

from mmdet.registry import MODELS
from mcfa_mm.testing import random_face_samples, tiny_mcfa_config


def _build(**kwargs):
    torch.manual_seed(0)
    return MODELS.build(tiny_mcfa_config(**kwargs))


def test_l_stage_loss_reaches_s_net_first_conv():
    model = _build()
    inputs = torch.rand(2, 3, 64, 64)
    losses = model.loss(inputs, random_face_samples(2, 64, 8))
    losses['l_loss_attr'].backward()
    grad = model.backbone.s_net.conv1_1.weight.grad
    assert grad is not None and grad.abs().sum() > 0


def test_forward_modes_and_prediction_fields():
    model = _build().eval()
    inputs = torch.rand(3, 3, 64, 64) * 255
    samples = random_face_samples(3, 64, 8)
    for sample in samples:
        sample.set_metainfo(dict(scale_factor=(0.5, 0.25),
                                 crop_offset=(10., 20.)))
    raw = model(inputs, samples, mode='tensor')
    assert [o['attribute'].shape[1] for o in raw] == [8, 8, 8]
    assert raw[0]['face_cls'].shape == (3, 2, 1, 1)  # S stays a map
    with torch.no_grad():
        results = model(inputs, samples, mode='predict')
    pred = results[0].pred_instances
    assert pred.bboxes.shape == (1, 4)
    assert pred.keypoints.shape == (1, 5, 2)
    assert pred.attribute_scores.shape == (1, 8)
    assert 0 <= pred.scores.item() <= 1
    # mapped back: x / 0.5 + 10 and y / 0.25 + 20 of the input-pixel output
    crop_pred = model.head.predict(model.extract_feat(inputs),
                                   [s.metainfo for s in samples])[0]
    expected = crop_pred.keypoints / torch.tensor([0.5, 0.25]) + torch.tensor(
        [10., 20.])
    assert torch.allclose(pred.keypoints, expected)


def test_tiny_model_loss_goes_down():
    model = _build()
    optim = build_optim_wrapper(
        model, dict(optimizer=dict(type='Adam', lr=1e-3)))
    torch.manual_seed(1)
    inputs = torch.rand(8, 3, 64, 64) * 255
    samples = random_face_samples(8, 64, 8, [1, 1, 1, 1, 1, 0, 0, -1])
    data = dict(inputs=list(inputs), data_samples=samples)
    first = last = None
    for step in range(30):
        log_vars = model.train_step(data, optim)
        total = log_vars['loss'].item()
        first = total if first is None else first
        last = total
    assert last < 0.7 * first


def test_head_takes_the_neck_widths():
    """The detector passes the neck's out_channels to the head; a config
    that still states them must agree."""
    cfg = tiny_mcfa_config(fc_channels=24)
    model = MODELS.build(copy.deepcopy(cfg))
    s_channels = model.neck.in_channels[0]
    first = [b.shared_layers[0] for b in model.head.branches]
    widths = [first[0].in_channels, first[1].in_features,
              first[2].in_features]
    assert widths == [s_channels, s_channels + 24, s_channels + 48]
    no_cascade = copy.deepcopy(cfg)
    no_cascade['neck']['use_cascade'] = False
    model = MODELS.build(no_cascade)
    assert model.head.branches[2].shared_layers[0].in_features == 24
    stated = copy.deepcopy(cfg)
    stated['head']['in_channels'] = (s_channels, 24, 48)
    with pytest.raises(ValueError, match='head.in_channels'):
        MODELS.build(stated)
