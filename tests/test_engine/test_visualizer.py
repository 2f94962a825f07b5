"""FaceVisualizer: landmarks, attribute text, ground-truth mapping, hook."""
import os.path as osp
import uuid
from types import SimpleNamespace

import mmcv
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from mmdet.engine.hooks import DetVisualizationHook
from mmdet.registry import MODELS, VISUALIZERS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mcfa_mm.datasets import face_metainfo
from mcfa_mm.testing import random_face_samples, tiny_mcfa_config
from mcfa_mm.visualization import FaceVisualizer
from mcfa_mm.visualization.face_visualizer import gt_to_original

NAMES = ('Smiling', 'Male', 'Young', 'Eyeglasses', 'Bald', 'Bangs')
LEFT, RIGHT, CENTER = (255, 0, 0), (0, 0, 255), (0, 255, 0)


def _visualizer(**kwargs) -> FaceVisualizer:
    visualizer = VISUALIZERS.build(
        dict(
            type='FaceVisualizer',
            name=f'face_vis_{uuid.uuid4().hex}',
            left_color=LEFT,
            right_color=RIGHT,
            center_color=CENTER,
            keypoint_radius=4,
            **kwargs))
    visualizer.dataset_meta = face_metainfo(list(NAMES))
    return visualizer


def _prediction() -> InstanceData:
    pred = InstanceData()
    pred.bboxes = torch.tensor([[20., 20., 100., 100.]])
    pred.scores = torch.tensor([0.9])
    pred.labels = torch.tensor([0])
    # left eye, right eye, nose, left mouth, right mouth
    pred.keypoints = torch.tensor([[[40., 45.], [80., 45.], [60., 60.],
                                    [45., 80.], [75., 80.]]])
    pred.attribute_scores = torch.tensor([[0.9, 0.2, 0.8, 0.6, 0.55, 0.95]])
    return pred


def _color_at(image: np.ndarray, xy) -> tuple:
    x, y = (int(round(v)) for v in xy)
    return tuple(int(c) for c in image[y, x])


def test_landmarks_are_drawn_with_side_colours():
    visualizer = _visualizer()
    image = np.full((140, 120, 3), 128, dtype=np.uint8)
    sample = DetDataSample(metainfo=dict(ori_shape=(140, 120)))
    sample.pred_instances = _prediction()
    visualizer.add_datasample('face', image, sample, draw_gt=False)
    drawn = visualizer.get_image()
    assert drawn.shape == image.shape
    points = sample.pred_instances.keypoints[0].tolist()
    expected = (LEFT, RIGHT, CENTER, LEFT, RIGHT)
    for point, color in zip(points, expected):
        assert np.abs(np.subtract(_color_at(drawn, point), color)).max() < 40


def test_attribute_texts():
    visualizer = _visualizer(attr_topk=3, attr_score_thr=0.5)
    pred = _prediction()
    text, = visualizer._attribute_texts(pred)
    # the 3 most likely above 0.5, best first
    assert text.splitlines() == ['Bangs 0.95', 'Smiling 0.90', 'Young 0.80']

    gt = InstanceData(attributes=torch.tensor([[1, 0, 1, -1, 1, 1]]))
    text, = visualizer._attribute_texts(gt)
    assert text.splitlines() == ['Smiling', 'Young', 'Bald', '(+1 more)']

    assert _visualizer(attr_topk=0)._attribute_texts(pred) == []
    with pytest.raises(ValueError):
        _visualizer(attr_topk=-1)


def test_unknown_attribute_names_fall_back():
    visualizer = _visualizer()
    visualizer.dataset_meta = dict(classes=('face', ))
    assert visualizer._attribute_names(3) == ['attr_0', 'attr_1', 'attr_2']
    assert visualizer._attribute_names(40)[20] == 'Male'  # CelebA's order


def test_gt_to_original_undoes_resize_and_crop():
    gt = InstanceData()
    gt.bboxes = HorizontalBoxes(torch.tensor([[10., 20., 30., 40.]]))
    gt.keypoints = torch.tensor([[[4., 6.], [0., 0.], [8., 8.], [2., 2.],
                                  [0., 0.]]])
    gt.keypoints_visible = torch.tensor([[1., 0., 1., 1., 0.]])
    meta = dict(scale_factor=(2., 2.), crop_offset=(100., 50.))
    mapped = gt_to_original(gt, meta)
    assert mapped.bboxes.tolist() == [[105., 60., 115., 70.]]
    assert mapped.keypoints[0, 0].tolist() == [102., 53.]
    assert mapped.keypoints[0, 1].tolist() == [0., 0.]  # unknown: unmoved
    # the input is left alone
    assert gt.keypoints[0, 0].tolist() == [4., 6.]


def test_gt_and_prediction_side_by_side(tmp_path):
    visualizer = _visualizer()
    image = np.full((120, 160, 3), 90, dtype=np.uint8)
    sample = DetDataSample(
        metainfo=dict(
            ori_shape=(120, 160),
            img_shape=(64, 64),
            scale_factor=(0.5, 0.5),
            crop_offset=(20., 10.)))
    gt = InstanceData()
    gt.bboxes = HorizontalBoxes(torch.tensor([[10., 10., 50., 50.]]))
    gt.labels = torch.tensor([0])
    gt.keypoints = torch.tensor([[[20., 25.], [40., 25.], [30., 32.],
                                  [22., 42.], [38., 42.]]])
    gt.keypoints_visible = torch.ones(1, 5)
    gt.attributes = torch.tensor([[1, 0, 1, 0, 0, 1]])
    sample.gt_instances = gt
    sample.pred_instances = _prediction()
    out_file = osp.join(tmp_path, 'vis.jpg')
    visualizer.add_datasample('face', image, sample, out_file=out_file)
    written = mmcv.imread(out_file)
    assert written.shape == (120, 320, 3)
    # gt left eye (20, 25) in input pixels is (60, 60) in the original
    drawn = visualizer.get_image()
    assert np.abs(np.subtract(_color_at(drawn, (60, 60)), LEFT)).max() < 40


def test_works_with_det_visualization_hook(tmp_path):
    """mmdet's hook draws the tiny model's predictions with our visualizer."""
    visualizer = _visualizer()
    hook = DetVisualizationHook(draw=True, test_out_dir='show')
    assert hook._visualizer is visualizer  # the current instance

    model = MODELS.build(tiny_mcfa_config(num_attributes=len(NAMES)))
    model.eval()
    img_path = osp.join(tmp_path, 'face_0.jpg')
    mmcv.imwrite(np.random.randint(0, 255, (64, 64, 3), np.uint8), img_path)
    sample, = random_face_samples(1, 64, len(NAMES))
    sample.set_metainfo(dict(img_path=img_path))
    with torch.no_grad():
        outputs = model.test_step(
            dict(
                inputs=[torch.zeros(3, 64, 64, dtype=torch.uint8)],
                data_samples=[sample]))
    assert 'attribute_scores' in outputs[0].pred_instances

    runner = SimpleNamespace(work_dir=str(tmp_path), timestamp='ts')
    hook.after_test_iter(runner, 0, {}, outputs)
    out_file = osp.join(tmp_path, 'ts', 'show', 'face_0.jpg')
    assert osp.isfile(out_file)
    assert mmcv.imread(out_file).shape == (64, 128, 3)


def test_attribute_text_goes_where_it_fits():
    visualizer = _visualizer()
    text = 'Smiling 0.90\nYoung 0.80'
    box = [20., 20., 100., 100.]
    # room below the face
    _, vertical, _ = visualizer._text_anchor(text, 10, box, (300, 300))
    assert vertical == 'top'
    (x, y), _, horizontal = visualizer._text_anchor(text, 10, box, (110, 300))
    assert (x > 100, horizontal) == (True, 'left')  # right of the box
    # a face filling the image (crop mode): inside, at the bottom
    (_, y), vertical, _ = visualizer._text_anchor(text, 10, box, (104, 104))
    assert vertical == 'bottom' and y < 100
