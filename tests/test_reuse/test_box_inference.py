"""MCFA's landmarks and attributes for boxes from any detector."""
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.structures import InstanceData

from mcfa_mm.apis import inference_faces_in_boxes
from mcfa_mm.datasets import WildFaceDataset
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
