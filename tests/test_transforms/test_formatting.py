import numpy as np
import torch
from _face_samples import FACE_KEYPOINTS, loaded_results, make_info
from mmdet.structures import DetDataSample

from mcfa_mm.datasets.transforms import (FaceRandomFlip, FaceResize,
                                         MineFaceSample, PackFaceInputs)


def _prepare(results):
    """Resize + (no-op) flip: adds the meta keys mmdet's packer expects."""
    results = FaceResize(scale=(48, 48))(results)
    return FaceRandomFlip(prob=0.)(results)


def test_pack_keeps_face_fields():
    results = _prepare(loaded_results())
    packed = PackFaceInputs()(results)
    assert packed['inputs'].shape == (3, 48, 48)
    sample = packed['data_samples']
    assert isinstance(sample, DetDataSample)
    gt = sample.gt_instances
    assert gt.bboxes.shape == (1, 4)
    assert gt.labels.tolist() == [0]
    assert gt.box_known.dtype == torch.bool and gt.box_known.tolist() == [True]
    assert gt.keypoints.shape == (1, 5, 2)
    np.testing.assert_allclose(
        gt.keypoints[0].numpy(),
        np.array(FACE_KEYPOINTS) * [48 / 240, 48 / 200],
        rtol=1e-5)
    assert gt.keypoints_visible.shape == (1, 5)
    assert gt.attributes.dtype == torch.int64
    assert gt.attributes.tolist() == [[1, 0, -1]]
    assert sample.face_label == 1
    np.testing.assert_array_equal(sample.crop_offset, [0, 0])
    # Not mined: the optional mining_type is left out, not invented.
    assert 'mining_type' not in sample.metainfo
    assert 'mining_type' not in results


def test_pack_ignored_instances():
    results = _prepare(loaded_results([make_info(), make_info(ignore_flag=1)]))
    sample = PackFaceInputs()(results)['data_samples']
    assert len(sample.gt_instances) == 1
    assert len(sample.ignored_instances) == 1
    assert sample.ignored_instances.keypoints.shape == (1, 5, 2)


def test_pack_negative_has_empty_fields_with_shapes():
    np.random.seed(0)
    results = MineFaceSample(
        sample_ratios=dict(negative=1), iou_ranges=dict(negative=(0., 0.001)))(
            loaded_results())
    sample = PackFaceInputs()(_prepare(results))['data_samples']
    gt = sample.gt_instances
    assert sample.face_label == 0
    assert sample.mining_type == 'negative'
    assert gt.bboxes.shape == (0, 4)
    assert gt.labels.shape == (0, )
    assert gt.box_known.shape == (0, )
    assert gt.keypoints.shape == (0, 5, 2)
    assert gt.keypoints_visible.shape == (0, 5)
    assert gt.attributes.shape == (0, 3)


def test_pack_without_annotations():
    """Inference: no LoadFaceAnnotations, only the image."""
    results = dict(
        img=np.zeros((20, 30, 3), np.uint8),
        img_id='x',
        img_path='x.jpg',
        ori_shape=(20, 30),
        img_shape=(20, 30),
        scale_factor=(1., 1.))
    packed = PackFaceInputs(
        meta_keys=('img_id', 'img_shape', 'scale_factor', 'face_label',
                   'crop_offset'))(
                       results)
    sample = packed['data_samples']
    np.testing.assert_array_equal(sample.crop_offset, [0, 0])
    assert 'face_label' not in sample.metainfo
