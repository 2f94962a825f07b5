"""ONNX export: onnxruntime gives the model's own predictions (<= 1e-4)."""
import glob
import json
import os.path as osp
import re

import mmcv
import numpy as np
import onnxruntime as ort
import pytest
import torch

from mcfa_mm.apis import (export_onnx, get_model, inference_faces,
                          init_face_model)
from mcfa_mm.models.detectors.cascade import CascadeFaceFinder

ATOL = 1e-4
#: The default model's config (the recipe), for when its weights are absent.
RECIPE_CONFIGS = osp.join(
    osp.dirname(__file__), '..', '..', 'configs', 'mcfa',
    'mcfa-recipe_vgg16-w025-128px_1xb32-*i_celeba-multisource.py')


def _lively(model, images):
    """Give an untrained model outputs that vary from input to input.

    At its initialisation every output is ~constant (attribute
    probabilities 0.5 +- 2e-5), which a graph that ignores its input would
    also match. He-initialised weights and BatchNorm statistics of these
    images make the outputs spread over the whole range.
    """
    torch.manual_seed(0)
    for module in model.modules():
        if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
            torch.nn.init.kaiming_normal_(module.weight)
            torch.nn.init.normal_(module.bias, std=0.1)
        if isinstance(module, torch.nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None  # a plain average over the batch
    size = model.input_size
    batch = [torch.from_numpy(mmcv.imresize(i, (size, size))).permute(2, 0, 1)
             for i in images]
    model.train()
    with torch.no_grad():
        model.extract_feat(model.data_preprocessor(dict(inputs=batch))[
            'inputs'])
    return model.eval()


def _run(path, pixels):
    """Run an ONNX graph on BGR arrays (B, H, W, 3)."""
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    batch = np.stack(pixels).transpose(0, 3, 1, 2).astype(np.float32)
    return session.run(None, {session.get_inputs()[0].name: batch})


def _max_diff(got, want):
    return float(np.abs(got - want.cpu().numpy()).max())


def check_crop_graph(model, path, crops):
    """The crop graph against inference_faces in crop mode."""
    size = model.input_size
    crops = [mmcv.imresize(c, (size, size)) for c in crops]
    score, bbox, keypoints, attributes = _run(path, crops)
    # the graph is fp32: compare with the model's fp32 prediction (the
    # round-6 models predict in bf16 by default, ~0.006 off)
    model.test_cfg['precision'] = 'fp32'
    preds = [r.pred_instances for r in
             inference_faces(model, crops, mode='crop', batch_size=4)]
    assert score.shape == (len(crops), )
    assert keypoints.shape == (len(crops), 5, 2)
    diffs = [
        _max_diff(score, torch.cat([p.scores for p in preds])),
        _max_diff(bbox, torch.cat([p.bboxes for p in preds]) / size),
        _max_diff(keypoints, torch.cat([p.keypoints for p in preds]) / size),
        _max_diff(attributes,
                  torch.cat([p.attribute_scores for p in preds])),
    ]
    assert max(diffs) <= ATOL, diffs
    # the outputs carry information: crops differ from each other
    assert np.ptp(attributes, axis=0).max() > 0.1
    assert np.ptp(keypoints, axis=0).max() > 0.01
    return diffs


def check_s_net_graph(model, path, images):
    """S_Net's map graph against the cascade's first stage on the
    preprocessed images (sides divisible by 32: no padding)."""
    prob, bbox = _run(path, images)
    data = model.data_preprocessor(
        dict(inputs=[torch.from_numpy(i).permute(2, 0, 1) for i in images]))
    with torch.no_grad():
        outs = model.head.branches[0](
            model.backbone.slide_s_net(data['inputs']))
    window = model.input_size // 4
    height, width = images[0].shape[:2]
    assert prob.shape == (len(images), (height - window) // 8 + 1,
                          (width - window) // 8 + 1)
    diffs = [_max_diff(prob, CascadeFaceFinder.face_prob(outs)),
             _max_diff(bbox, outs['bbox'])]
    assert max(diffs) <= ATOL, diffs
    return diffs


def test_export_on_generated_faces(tiny_zoo, demo_data_root, tmp_path):
    faces = sorted(glob.glob(f'{demo_data_root}/Img/img_celeba/*.jpg'))
    photos = [mmcv.imread(p) for p in faces[:5]]
    model = _lively(
        init_face_model(tiny_zoo['config'], tiny_zoo['checkpoint']), photos)
    paths = export_onnx(model, str(tmp_path))
    assert not model.training  # the exporter restores eval mode
    meta = json.load(open(paths['meta']))
    assert meta['attribute_names'] == list(tiny_zoo['names'])
    assert (meta['input_size'], meta['s_window']) == (64, 16)
    # 5 crops: another batch size than the export's 2
    check_crop_graph(model, paths['crop'], photos)
    # whole photos at two sizes (dynamic height and width)
    check_s_net_graph(model, paths['s_net'], photos[:3])
    check_s_net_graph(model, paths['s_net'],
                      [mmcv.imresize(photos[0], (160, 96))])


def test_export_keeps_the_flip_test(tiny_zoo, demo_data_root, tmp_path):
    faces = sorted(glob.glob(f'{demo_data_root}/Img/img_celeba/*.jpg'))
    photos = [mmcv.imread(p) for p in faces[:3]]
    model = _lively(
        init_face_model(tiny_zoo['config'], tiny_zoo['checkpoint']), photos)
    plain = _run(export_onnx(model, str(tmp_path / 'plain'))['crop'],
                 [mmcv.imresize(p, (64, 64)) for p in photos])
    model.test_cfg['flip'] = True
    paths = export_onnx(model, str(tmp_path / 'flip'))
    check_crop_graph(model, paths['crop'], photos)
    flipped = _run(paths['crop'], [mmcv.imresize(p, (64, 64)) for p in photos])
    # the graph holds the mirrored pass: its landmarks differ
    assert np.abs(flipped[2] - plain[2]).max() > 1e-3


def test_export_script_verifies(load_script, tiny_zoo, tmp_path, capsys):
    script = load_script('tools/deployment/export_onnx.py')
    assert script.main([tiny_zoo['config'], tiny_zoo['checkpoint'],
                        '--out-dir', str(tmp_path), '--verify']) == 0
    out = capsys.readouterr().out
    diffs = [float(v) for v in re.findall(r'pytorch\| \S+: (\S+)', out)]
    assert len(diffs) == 6 and max(diffs) <= ATOL
    assert osp.isfile(tmp_path / 'mcfa_crop.onnx')
    assert script.main(['no-such-model', '--out-dir', str(tmp_path)]) == 2


@pytest.mark.shared_data
def test_export_on_real_crops(shared_data_root, tmp_path):
    """The shipped model when it is there, else the same architecture
    (the default model's config) with random weights."""
    crops = [mmcv.imread(p) for p in sorted(glob.glob(
        f'{shared_data_root}/celeba/Img/img_celeba_crop/*.jpg'))[:6]]
    try:
        get_model()
        # the exact fp32 weights: the default load casts them to bf16
        model = init_face_model(predict_only=False).fuse_conv_bn()
        with pytest.raises(ValueError, match='predict_only=False'):
            export_onnx(init_face_model(), str(tmp_path))
    except FileNotFoundError:
        config = sorted(glob.glob(RECIPE_CONFIGS))[-1]
        with pytest.warns(UserWarning):
            model = _lively(init_face_model(config, predict_only=False),
                            crops)
    paths = export_onnx(model, str(tmp_path))
    check_crop_graph(model, paths['crop'], crops)
    photos = sorted(glob.glob(f'{shared_data_root}/wild/Img/img_wild/*.jpg'))
    check_s_net_graph(model, paths['s_net'], [
        mmcv.imresize(mmcv.imread(p), (224, 192)) for p in photos[:2]])
