import numpy as np
import pytest
from _face_samples import FACE_BOX, FACE_KEYPOINTS, make_info, make_results
from mmdet.structures.bbox import HorizontalBoxes

from mcfa_mm.datasets.transforms import LoadFaceAnnotations


def test_load_full_annotations():
    results = LoadFaceAnnotations()(make_results())
    assert isinstance(results['gt_bboxes'], HorizontalBoxes)
    np.testing.assert_allclose(results['gt_bboxes'].numpy(), [FACE_BOX])
    assert results['gt_bboxes_labels'].dtype == np.int64
    np.testing.assert_array_equal(results['gt_bboxes_labels'], [0])
    np.testing.assert_array_equal(results['gt_ignore_flags'], [False])
    np.testing.assert_array_equal(results['gt_box_known'], [True])
    assert results['gt_keypoints'].dtype == np.float32
    np.testing.assert_allclose(results['gt_keypoints'], [FACE_KEYPOINTS])
    np.testing.assert_array_equal(results['gt_keypoints_visible'],
                                  np.ones((1, 5)))
    assert results['gt_attributes'].dtype == np.int64
    np.testing.assert_array_equal(results['gt_attributes'], [[1, 0, -1]])
    assert results['face_label'] == 1
    np.testing.assert_array_equal(results['crop_offset'], [0, 0])
    assert results['crop_offset'].dtype == np.float32


def test_load_none_fields():
    """Missing box -> whole image, unknown; missing landmarks / attributes
    -> placeholders flagged unknown."""
    info = make_info(bbox=None, keypoints=None, attributes=None)
    results = LoadFaceAnnotations(num_attributes=4)(
        make_results([info], img_hw=(50, 40)))
    np.testing.assert_allclose(results['gt_bboxes'].numpy(), [[0, 0, 40, 50]])
    np.testing.assert_array_equal(results['gt_box_known'], [False])
    np.testing.assert_array_equal(results['gt_keypoints'], np.zeros((1, 5, 2)))
    np.testing.assert_array_equal(results['gt_keypoints_visible'],
                                  np.zeros((1, 5)))
    np.testing.assert_array_equal(results['gt_attributes'], -np.ones((1, 4)))
    assert results['face_label'] == 1


def test_load_infers_num_attributes_from_other_instances():
    instances = [make_info(attributes=None), make_info(attributes=[1, 0])]
    results = LoadFaceAnnotations()(make_results(instances))
    np.testing.assert_array_equal(results['gt_attributes'], [[-1, -1], [1, 0]])
    # Nothing to infer from: zero columns.
    results = LoadFaceAnnotations()(make_results([make_info(attributes=None)]))
    assert results['gt_attributes'].shape == (1, 0)


def test_load_no_instances_has_right_shapes():
    results = LoadFaceAnnotations(num_attributes=3)(make_results([]))
    assert results['gt_bboxes'].numpy().shape == (0, 4)
    assert results['gt_bboxes_labels'].shape == (0, )
    assert results['gt_box_known'].shape == (0, )
    assert results['gt_keypoints'].shape == (0, 5, 2)
    assert results['gt_keypoints_visible'].shape == (0, 5)
    assert results['gt_attributes'].shape == (0, 3)
    assert results['face_label'] == 0


def test_load_keeps_existing_face_label_and_offset():
    results = make_results()
    results['face_label'] = -1
    results['crop_offset'] = np.array([3., 4.], np.float32)
    results = LoadFaceAnnotations()(results)
    assert results['face_label'] == -1
    np.testing.assert_array_equal(results['crop_offset'], [3, 4])


def test_load_errors():
    with pytest.raises(ValueError, match='attribute'):
        LoadFaceAnnotations(num_attributes=5)(make_results())
    with pytest.raises(ValueError, match='keypoints'):
        LoadFaceAnnotations()(
            make_results([make_info(keypoints=[[1, 2]] * 4)], draw=False))
    # Whole-image boxes need the image size.
    results = make_results([make_info(bbox=None)])
    del results['img_shape']
    with pytest.raises(KeyError, match='img_shape'):
        LoadFaceAnnotations()(results)
