"""MCFA's landmarks and attributes for boxes from any detector."""
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.structures import InstanceData

from mcfa_mm.apis import inference_faces_in_boxes
from mcfa_mm.datasets import WildFaceDataset
from mcfa_mm.datasets.metainfo import CELEBA_ATTRIBUTES
from mcfa_mm.testing import tiny_mcfa_config
from mmdet.registry import MODELS

INPUT_SIZE = 64
NUM_ATTRIBUTES = 8


def _model(tasks=('face_cls', 'bbox', 'landmark', 'attribute')):
    torch.manual_seed(0)
    model = MODELS.build(
        tiny_mcfa_config(input_size=INPUT_SIZE, tasks=tasks,
                         num_attributes=NUM_ATTRIBUTES))
    return model.eval()


def _square(box, enlarge=1.1):
    """The test crop of a box, written out: a square enlarge x the long
    side, centred on the box, on whole pixels."""
    side = round(enlarge * max(box[2] - box[0], box[3] - box[1]))
    x0 = np.floor((box[0] + box[2]) / 2 - side / 2 + .5)
    y0 = np.floor((box[1] + box[3]) / 2 - side / 2 + .5)
    return np.array([x0, y0, x0 + side, y0 + side])


def test_results_are_in_the_original_images_pixels():
    # Without landmark and box tasks, L_Net's outputs are the crop's centre
    # and the whole crop; mapped back, they must be the crop's square in
    # the photo: any error in offset or scale moves them.
    model = _model(tasks=('face_cls', 'attribute'))
    image = np.random.RandomState(0).randint(0, 255, (150, 200, 3), np.uint8)
    boxes = [[30, 40, 90, 100], [120, 20, 150, 80], [-10, 110, 40, 170]]
    result = inference_faces_in_boxes(model, image, boxes,
                                      scores=[0.9, 0.8, 0.7])
    pred = result.pred_instances
    assert torch.equal(pred.bboxes, torch.tensor(boxes, dtype=torch.float32))
    assert torch.allclose(pred.scores, torch.tensor([0.9, 0.8, 0.7]))
    for k, box in enumerate(boxes):
        square = _square(np.array(box, np.float64))
        np.testing.assert_allclose(pred.refined_bboxes[k].numpy(), square,
                                   atol=1e-3)
        centre = (square[:2] + square[2:]) / 2
        np.testing.assert_allclose(pred.keypoints[k].numpy(),
                                   np.tile(centre, (5, 1)), atol=1e-3)
    assert pred.attribute_scores.shape == (3, NUM_ATTRIBUTES)
    assert result.ori_shape == (150, 200)


def test_crop_is_the_boxed_test_pipelines_crop(fake_roots):
    # the labelled box through the test pipeline of boxed photos, and the
    # same box handed to inference_faces_in_boxes: the same predictions
    model = _model()
    test_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadFaceAnnotations', num_attributes=NUM_ATTRIBUTES),
        dict(type='CropFace', enlarge=1.1),
        dict(type='FaceResize', scale=(INPUT_SIZE, INPUT_SIZE),
             keep_ratio=False),
        dict(type='PackFaceInputs')
    ]
    dataset = WildFaceDataset(
        data_root=fake_roots['wild'], split='test', test_mode=True,
        pipeline=test_pipeline)
    info = dataset.get_data_info(0)
    with torch.no_grad():
        expected = model.test_step(
            dict(inputs=[dataset[0]['inputs']],
                 data_samples=[dataset[0]['data_samples']]))[0].pred_instances
    result = inference_faces_in_boxes(model, info['img_path'],
                                      [info['instances'][0]['bbox']])
    pred = result.pred_instances
    for key in ('keypoints', 'attribute_scores'):
        torch.testing.assert_close(pred[key], expected[key])
    torch.testing.assert_close(pred.refined_bboxes, expected.bboxes)
    torch.testing.assert_close(pred.face_scores, expected.scores)
    assert result.img_path == info['img_path']
    # the test transforms themselves, not a twin of them
    assert [type(t).__name__ for t in Compose(test_pipeline[2:]).transforms
            ] == ['CropFace', 'FaceResize', 'PackFaceInputs']


def test_takes_a_detectors_instances_and_handles_no_box():
    model = _model()
    image = np.zeros((80, 80, 3), np.uint8)
    detections = InstanceData(
        bboxes=torch.tensor([[10., 10., 50., 60.], [0., 0., 20., 20.]]),
        scores=torch.tensor([0.95, 0.2]))
    result = inference_faces_in_boxes(model, image,
                                      detections[detections.scores > 0.5])
    assert torch.allclose(result.pred_instances.scores, torch.tensor([0.95]))
    assert result.pred_instances.keypoints.shape == (1, 5, 2)
    empty = inference_faces_in_boxes(model, image,
                                     detections[detections.scores > 2])
    assert empty.pred_instances.keypoints.shape == (0, 5, 2)
    assert empty.pred_instances.attribute_scores.shape == (0, NUM_ATTRIBUTES)
    # the model is left in its own test mode
    assert model.test_cfg['mode'] == 'crop'


def test_bad_boxes_raise_a_clear_error():
    model = _model()
    image = np.zeros((80, 80, 3), np.uint8)
    with pytest.raises(ValueError, match=r'\(K, 4\)'):
        inference_faces_in_boxes(model, image, [10, 10, 50, 60])
    with pytest.raises(ValueError, match=r'bboxes\[1\]'):
        inference_faces_in_boxes(model, image,
                                 [[10, 10, 50, 60], [50, 10, 10, 60]])
    with pytest.raises(ValueError, match='one value per box'):
        inference_faces_in_boxes(model, image, [[10, 10, 50, 60]],
                                 scores=[0.5, 0.4])


def test_inference_faces_delegates_boxes(fake_roots):
    from mcfa_mm.apis import inference_faces
    model = _model()
    image = np.random.RandomState(1).randint(0, 255, (90, 120, 3), np.uint8)
    boxes = [[10., 10., 50., 60.], [60., 20., 100., 70.]]
    direct = inference_faces_in_boxes(model, image, boxes)
    one = inference_faces(model, image, bboxes=boxes)
    torch.testing.assert_close(one.pred_instances.keypoints,
                               direct.pred_instances.keypoints)
    two = inference_faces(model, [image, image], bboxes=[boxes, boxes[:1]])
    assert [len(r.pred_instances) for r in two] == [2, 1]
    with pytest.raises(ValueError, match='one entry per image'):
        inference_faces(model, [image, image], bboxes=[boxes])


def _readme_chain_example() -> str:
    import os.path as osp
    import re
    readme = osp.join(osp.dirname(__file__), '..', '..', 'README.md')
    text = open(readme).read()
    start = text.index('## Reuse in your own MMDetection pipelines')
    return re.search(r'```python\n(.*?)```', text[start:], re.S).group(1)


def test_readme_chain_example_runs(data_env, config_path, tmp_path, capsys):
    """The README's stock detector -> MCFA example, on random weights."""
    import re
    from mmengine.config import Config
    code = _readme_chain_example()
    configs = re.findall(r"'(configs/[^']+\.py)'", code)
    checkpoints = re.findall(r"'(work_dirs/[^']+\.pth)'", code)
    # the stock detector by config and checkpoint; MCFA is the shipped model
    assert len(configs) == len(checkpoints) == 1
    assert 'init_face_model()' in code
    for config, checkpoint in zip(configs, checkpoints):
        cfg = Config.fromfile(config_path(config[len('configs/'):]))
        model = MODELS.build(cfg.model)
        saved = str(tmp_path / checkpoint.replace('/', '_'))
        meta = dict(dataset_meta=dict(classes=('face', ),
                                      attribute_names=CELEBA_ATTRIBUTES))
        torch.save(dict(state_dict=model.state_dict(), meta=meta), saved)
        code = code.replace(repr(checkpoint), repr(saved))
        code = code.replace(repr(config),
                            repr(config_path(config[len('configs/'):])))
    # an untrained detector scores every box near 0: keep them all
    detector_cfg = tmp_path / 'detector.py'
    detector_cfg.write_text(
        f"_base_ = {config_path(configs[0][len('configs/'):])!r}\n"
        'model = dict(test_cfg=dict(score_thr=0.0))\n')
    code = code.replace(repr(config_path(configs[0][len('configs/'):])),
                        repr(str(detector_cfg)), 1)
    code = code.replace('faces.scores > 0.5', 'faces.scores > -1')
    image = re.search(r"image = '([^']+)'", code).group(1)
    fake = f"{data_env['wild']}/Img/img_wild/0_0_0.jpg"
    code = code.replace(repr(image), repr(fake))
    exec(compile(code, 'README.md', 'exec'), {})
    lines = capsys.readouterr().out.strip().splitlines()
    printed = [line for line in lines if line.startswith('[')]
    # one line per detector box (at most 20, the test config's cap)
    assert 1 <= len(printed) <= 20
    assert all(
        re.match(r"\[(-?\d+, ){3}-?\d+\] \[(-?\d+, ){9}-?\d+\] \[\('\w+', ",
                 line) for line in printed)
