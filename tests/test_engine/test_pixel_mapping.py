"""to_original_pixels: the one mapping from network input to original."""
import numpy as np
import torch

from mcfa_mm.utils import to_original_pixels


def test_points_and_boxes_by_hand():
    # resized 2x in x, 4x in y after a crop at (10, 20)
    points = np.array([[4., 8.], [0., 0.]], np.float32)
    mapped = to_original_pixels(points, (2., 4.), (10., 20.))
    np.testing.assert_allclose(mapped, [[12., 22.], [10., 20.]])
    assert mapped.dtype == np.float32
    box = torch.tensor([[2., 4., 6., 8.]])
    torch.testing.assert_close(
        to_original_pixels(box, (2., 4., 2., 4.), np.array([10., 20.])),
        torch.tensor([[11., 21., 13., 22.]]))


def test_per_row_metas_broadcast():
    keypoints = torch.ones(2, 5, 2)
    scale = np.array([[1., 1.], [0.5, 0.25]], np.float32)
    offset = np.array([[0., 0.], [3., 4.]], np.float32)
    mapped = to_original_pixels(keypoints, scale[:, None], offset[:, None])
    assert torch.equal(mapped[0], keypoints[0])
    assert torch.equal(mapped[1], torch.tensor([5., 8.]).expand(5, 2))
    # integer pixels come back as floats
    assert to_original_pixels(np.array([1, 2]), (2., 2.)).tolist() == [
        0.5, 1.0]
