"""Inference precision and layout: ``test_cfg.precision``, channels-last
and conv-BN folding give the fp32 NCHW model's predictions."""
import copy

import pytest
import torch

from mcfa_mm.testing import random_face_samples, tiny_mcfa_config
from mmdet.registry import MODELS

SIZE = 64
BATCH = 6
FIELDS = ('bboxes', 'scores', 'keypoints', 'attribute_scores')


def _trained_like_model():
    """A tiny model whose BatchNorm statistics are not the identity (as in
    a trained model), so folding has something to fold."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_mcfa_config(input_size=SIZE))
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            channels = module.num_features
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
            assert module.running_mean.numel() == channels
    return model.eval()


def _data(seed: int = 0) -> dict:
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (BATCH, 3, SIZE, SIZE),
                           generator=generator, dtype=torch.uint8)
    return dict(
        inputs=list(images),
        data_samples=random_face_samples(BATCH, SIZE, 8, seed=seed))


def _predict(model, data) -> dict:
    results = model.test_step(copy.deepcopy(data))
    return {
        key: torch.cat([r.pred_instances[key] for r in results])
        for key in FIELDS
    }


def test_conv_bn_folding_keeps_fp32_outputs():
    model = _trained_like_model()
    data = _data()
    expected = _predict(model, data)
    fused = copy.deepcopy(model).fuse_conv_bn()
    assert not any(
        isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
    for key, value in _predict(fused, data).items():
        torch.testing.assert_close(value, expected[key], rtol=1e-5,
                                   atol=1e-5)


def test_channels_last_keeps_fp32_outputs():
    model = _trained_like_model()
    data = _data()
    expected = _predict(model, data)
    nhwc = copy.deepcopy(model)
    nhwc.test_cfg['channels_last'] = True
    got = _predict(nhwc, data)
    assert nhwc.channels_last
    conv = next(m for m in nhwc.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    for key, value in got.items():
        torch.testing.assert_close(value, expected[key], rtol=1e-5,
                                   atol=1e-5)


def test_bf16_prediction_is_close_and_returns_fp32():
    """bf16 rounds activations to 8 mantissa bits: probabilities move by
    at most a few hundredths, points by a few tenths of a pixel at 64 px;
    the outputs themselves are fp32."""
    model = _trained_like_model()
    data = _data()
    expected = _predict(model, data)
    bf16 = copy.deepcopy(model)
    bf16.test_cfg['precision'] = 'bf16'
    got = _predict(bf16, data)
    assert {v.dtype for v in got.values()} == {torch.float32}
    assert (got['attribute_scores'] -
            expected['attribute_scores']).abs().max() < 0.03
    assert (got['scores'] - expected['scores']).abs().max() < 0.03
    assert (got['keypoints'] - expected['keypoints']).abs().max() < 1.0
    assert not torch.equal(got['attribute_scores'],
                           expected['attribute_scores'])


def test_bf16_cascade_runs_and_returns_fp32():
    model = _trained_like_model()
    model.test_cfg.update(mode='cascade', precision='bf16')
    model.test_cfg['cascade'].update(thresholds=(0., 0., 0.), max_per_img=3,
                                     min_face_size=SIZE // 4)
    image = torch.randint(0, 256, (3, 96, 128), dtype=torch.uint8)
    sample = random_face_samples(1, SIZE, 8)[0]
    sample.set_metainfo(dict(img_shape=(96, 128), ori_shape=(96, 128)))
    result = model.test_step(dict(inputs=[image], data_samples=[sample]))[0]
    faces = result.pred_instances
    assert len(faces) == 3
    assert faces.bboxes.dtype == faces.attribute_scores.dtype == torch.float32


def _cascade_inputs() -> dict:
    image = torch.randint(0, 256, (3, 96, 128), dtype=torch.uint8,
                          generator=torch.Generator().manual_seed(1))
    sample = random_face_samples(1, SIZE, 8)[0]
    sample.set_metainfo(dict(img_shape=(96, 128), ori_shape=(96, 128)))
    return dict(inputs=[image], data_samples=[sample])


@pytest.mark.parametrize('mode', ['crop', 'cascade'])
def test_weights_cast_once_predict_as_autocast(mode):
    """bf16 weights stored once give bf16 autocast's outputs bit for bit
    (autocast rounds the fp32 weights the same way at every call)."""
    model = _trained_like_model().fuse_conv_bn()
    model.test_cfg.update(mode=mode, precision='bf16', channels_last=True)
    model.test_cfg['cascade'].update(thresholds=(0., 0., 0.), max_per_img=3,
                                     min_face_size=SIZE // 4)
    data = _data() if mode == 'crop' else _cascade_inputs()
    expected = _predict(model, data)
    cast = copy.deepcopy(model).cast_to_precision()
    conv = next(m for m in cast.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.dtype == torch.bfloat16
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert cast.data_preprocessor.mean.dtype == torch.float32
    got = _predict(cast, data)
    assert len(got['scores']) == len(expected['scores']) > 0
    for key, value in got.items():
        assert value.dtype == torch.float32
        assert torch.equal(value, expected[key]), key


def test_fp32_prediction_with_cast_weights_is_refused():
    model = _trained_like_model()
    model.test_cfg['precision'] = 'bf16'
    model.cast_to_precision()
    model.test_cfg['precision'] = 'fp32'
    with pytest.raises(ValueError, match='load the model again'):
        model.test_step(_data())


def test_fp32_cast_to_precision_changes_nothing():
    model = _trained_like_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.cast_to_precision()
    for key, value in model.state_dict().items():
        assert value.dtype == before[key].dtype
        assert torch.equal(value, before[key])


def test_unknown_precision_is_refused():
    model = _trained_like_model()
    model.test_cfg['precision'] = 'fp16'
    with pytest.raises(ValueError, match='precision'):
        model.test_step(_data())
