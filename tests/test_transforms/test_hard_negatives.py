"""HardNegativeCrop and its negatives file (the recipe's second phase)."""
import numpy as np
import pytest
from mmdet.structures.bbox import HorizontalBoxes

from mcfa_mm.datasets.transforms import HardNegativeCrop, read_negatives_file


def _write(path, text: str) -> str:
    path.write_text(text)
    read_negatives_file.cache_clear()
    return str(path)


def _results(img_id: str = 'a.jpg') -> dict:
    img = np.arange(100 * 120 * 3, dtype=np.uint8).reshape(100, 120, 3)
    return dict(
        img=img,
        img_shape=img.shape[:2],
        img_id=img_id,
        gt_bboxes=HorizontalBoxes(np.array([[10., 10., 40., 40.]],
                                           np.float32)),
        gt_bboxes_labels=np.zeros(1, np.int64),
        gt_ignore_flags=np.zeros(1, bool),
        gt_keypoints=np.full((1, 5, 2), 20., np.float32),
        gt_keypoints_visible=np.ones((1, 5)))


def test_crops_the_listed_false_positive_as_a_non_face(tmp_path):
    path = _write(tmp_path / 'neg.txt', 'a.jpg 60 20 100 50 0.91\n')
    results = HardNegativeCrop(path).transform(_results())
    # the square around the box: side 40, centred on (80, 35)
    assert results['img'].shape[:2] == (40, 40)
    original = _results()['img']
    np.testing.assert_array_equal(results['img'], original[15:55, 60:100])
    assert results['face_label'] == 0
    assert results['mining_type'] == 'hard_negative'
    assert len(results['gt_bboxes']) == 0
    assert results['gt_keypoints'].shape == (0, 5, 2)
    np.testing.assert_allclose(results['crop_offset'], [60, 15])


def test_an_image_without_negatives_asks_for_another_image(tmp_path):
    path = _write(tmp_path / 'neg.txt', 'b.jpg 60 20 100 50 0.91\n')
    assert HardNegativeCrop(path).transform(_results('a.jpg')) is None
    # and below min_score counts as none
    path = _write(tmp_path / 'neg2.txt', 'a.jpg 60 20 100 50 0.4\n')
    assert HardNegativeCrop(path, min_score=0.5).transform(_results()) is None


def test_a_malformed_row_names_the_file_and_line(tmp_path):
    path = _write(tmp_path / 'neg.txt',
                  'a.jpg 60 20 100 50 0.9\n\na.jpg 60 20 50 50 0.9\n')
    with pytest.raises(ValueError, match=r'neg.txt, line 3: box has no area'):
        HardNegativeCrop(path)
    path = _write(tmp_path / 'neg3.txt', 'a.jpg 60 20 100\n')
    with pytest.raises(ValueError, match=r'line 1: expected 6 fields'):
        HardNegativeCrop(path)


def test_a_missing_file_fails_at_build_time(tmp_path):
    with pytest.raises(FileNotFoundError):
        HardNegativeCrop(str(tmp_path / 'missing.txt'))
