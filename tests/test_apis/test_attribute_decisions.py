"""Attribute decisions at the thresholds published with a checkpoint
(publish_model.py --attribute-thresholds), 0.5 without them."""
import glob
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mcfa_mm.apis import (FaceInferencer, attribute_thresholds,
                          inference_faces, init_face_model,
                          normalize_attribute_thresholds)
from mcfa_mm.datasets.metainfo import CELEBA_ATTRIBUTES
from mcfa_mm.testing import tiny_mcfa_config
from mmdet.registry import MODELS

PUBLISH = 'tools/model_converters/publish_model.py'


@pytest.fixture(scope='module')
def tiny40(tmp_path_factory):
    """A tiny untrained MCFA with CelebA's 40 attributes: its config and a
    training checkpoint (weights and the training meta)."""
    root = tmp_path_factory.mktemp('tiny40')
    cfg = tiny_mcfa_config(input_size=64, num_attributes=40)
    cfg['test_cfg'] = dict(mode='crop')
    config = str(root / 'tiny40.py')
    Config(dict(model=cfg, default_scope='mmdet')).dump(config)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    checkpoint = str(root / 'iter_1.pth')
    torch.save(
        dict(state_dict=model.state_dict(), meta=dict(iter=1)), checkpoint)
    return dict(root=root, config=config, checkpoint=checkpoint)


@pytest.fixture(scope='module')
def face_paths(demo_data_root):
    return sorted(glob.glob(f'{demo_data_root}/Img/img_celeba/*.jpg'))[:3]


def _thresholds(seed: int = 0) -> list:
    """40 thresholds spread over (0, 1), not 0.5."""
    generator = torch.Generator().manual_seed(seed)
    return [
        round(float(v), 4)
        for v in torch.rand(40, generator=generator) * 0.8 + 0.1
    ]


def _publish(load_script, tiny40, out_dir, thresholds_file=None) -> str:
    """Run publish_model.py's main; return the published file."""
    publish = load_script(PUBLISH)
    argv = [
        tiny40['checkpoint'],
        str(out_dir), '--name', 'tiny40', '--config', 'configs/tiny40.py'
    ]
    if thresholds_file is not None:
        argv += ['--attribute-thresholds', str(thresholds_file)]
    publish.main(argv)
    (out_file, ) = glob.glob(osp.join(str(out_dir), 'tiny40_*.pth'))
    return out_file


def test_published_thresholds_decide_every_api(load_script, tiny40, face_paths,
                                               tmp_path):
    values = _thresholds()
    # the file AttributeAccuracy(fit_thresholds_to=...) writes
    fitted = tmp_path / 'fitted.json'
    fitted.write_text(
        json.dumps(
            dict(
                attribute_names=list(CELEBA_ATTRIBUTES),
                thresholds=values,
                accuracy_thresholds=[0.5] * 40)))
    published = _publish(load_script, tiny40, tmp_path / 'zoo', fitted)
    meta = torch.load(published, weights_only=True)['meta']
    assert meta['dataset_meta']['attribute_thresholds'] == dict(
        zip(CELEBA_ATTRIBUTES, values))

    model = init_face_model(tiny40['config'], published)
    assert model.dataset_meta['attribute_thresholds'] == dict(
        zip(CELEBA_ATTRIBUTES, values))
    expected = torch.tensor(values)
    results = inference_faces(model, face_paths)
    for result in results:
        pred = result.pred_instances
        assert torch.equal(pred.attribute_decisions, pred.attribute_scores
                           >= expected)
    # the thresholds change decisions: 0.5 would decide otherwise
    scores = torch.cat([r.pred_instances.attribute_scores for r in results])
    assert ((scores >= expected) != (scores >= 0.5)).any()
    # the box-driven entry decides the same way
    boxed = inference_faces(
        model, face_paths[0], bboxes=[[10., 10., 100., 100.]]).pred_instances
    assert torch.equal(boxed.attribute_decisions, boxed.attribute_scores
                       >= expected)

    inferencer = FaceInferencer(
        tiny40['config'], published, device='cpu', show_progress=False)
    (face, ) = inferencer(face_paths[0])['predictions'][0]['faces']
    assert face['attribute_decisions'] == {
        name: face['attribute_scores'][name] >= threshold
        for name, threshold in zip(CELEBA_ATTRIBUTES, values)
    }


def test_demo_json_lines_carry_the_decisions(load_script, tiny40, face_paths,
                                             tmp_path):
    thresholds = tmp_path / 'by_name.json'
    values = _thresholds(1)
    thresholds.write_text(json.dumps(dict(zip(CELEBA_ATTRIBUTES, values))))
    published = _publish(load_script, tiny40, tmp_path / 'zoo', thresholds)
    demo = load_script('tools/demo/image_demo.py')
    out_dir = tmp_path / 'out'
    assert demo.main([
        face_paths[0], tiny40['config'], published, '--mode', 'crop',
        '--pred-score-thr', '0', '--out-dir',
        str(out_dir)
    ]) == 0
    with open(out_dir / 'faces.jsonl') as file:
        (record, ) = [json.loads(line) for line in file]
    (face, ) = record['faces']
    model = init_face_model(tiny40['config'], published, mode='crop')
    pred = inference_faces(model, face_paths[0]).pred_instances
    assert face['attribute_decisions'] == dict(
        zip(CELEBA_ATTRIBUTES, pred.attribute_decisions[0].tolist()))


def test_without_thresholds_every_attribute_is_decided_at_half(
        load_script, tiny40, face_paths, tmp_path):
    published = _publish(load_script, tiny40, tmp_path / 'zoo')
    assert 'attribute_thresholds' not in torch.load(
        published, weights_only=True)['meta']['dataset_meta']
    model = init_face_model(tiny40['config'], published)
    assert 'attribute_thresholds' not in model.dataset_meta
    assert torch.equal(
        attribute_thresholds(model.dataset_meta, 40), torch.full((40, ), 0.5))
    pred = inference_faces(model, face_paths[0]).pred_instances
    assert torch.equal(pred.attribute_decisions, pred.attribute_scores >= 0.5)


def test_bad_thresholds_are_refused(load_script, tiny40, tmp_path):
    names = list(CELEBA_ATTRIBUTES)
    with pytest.raises(
            ValueError, match=r"missing \['Young'\].*unknown "
            r"\['Old'\]"):
        normalize_attribute_thresholds(
            dict(zip(names[:-1] + ['Old'], [0.5] * 40)), names)
    with pytest.raises(ValueError, match='39 thresholds'):
        normalize_attribute_thresholds([0.5] * 39, names)
    with pytest.raises(ValueError, match='threshold of Bald'):
        normalize_attribute_thresholds([0.5] * 4 + [1.5] + [0.5] * 35, names)
    with pytest.raises(ValueError, match='threshold of 5_o_Clock_Shadow'):
        normalize_attribute_thresholds([True] + [0.5] * 39, names)
    wrong = tmp_path / 'wrong.json'
    wrong.write_text(json.dumps([0.5] * 8))
    with pytest.raises(ValueError, match='8 thresholds'):
        _publish(load_script, tiny40, tmp_path / 'zoo', wrong)
    # an untrusted checkpoint with a bad entry fails when loaded, named
    published = _publish(load_script, tiny40, tmp_path / 'ok')
    checkpoint = torch.load(published, weights_only=True)
    checkpoint['meta']['dataset_meta']['attribute_thresholds'] = dict(
        zip(names, [float('nan')] * 40))
    hostile = str(tmp_path / 'hostile.pth')
    torch.save(checkpoint, hostile)
    with pytest.raises(ValueError, match='hostile.pth.*threshold of'):
        init_face_model(tiny40['config'], hostile)
