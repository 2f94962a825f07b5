"""Training targets encode boxes and landmarks so that the head's decoder
gives the same pixels back (``build_face_targets`` -> ``decode_batch``)."""
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.structures import InstanceData

from mcfa_mm.datasets.metainfo import FACE, NON_FACE, PART_FACE
from mcfa_mm.models.heads.targets import build_face_targets
from mcfa_mm.testing import tiny_mcfa_config
from mmdet.registry import MODELS

NUM_ATTRIBUTES = 3


def _sample(img_hw, box, keypoints, face_label, attributes=(1, 0, -1)):
    sample = DetDataSample(
        metainfo=dict(img_shape=img_hw, face_label=face_label))
    gt = InstanceData()
    if box is not None:
        gt.bboxes = HorizontalBoxes(torch.tensor([box], dtype=torch.float))
        gt.keypoints = torch.tensor([keypoints], dtype=torch.float)
        gt.keypoints_visible = torch.ones(1, 5)
        gt.attributes = torch.tensor([attributes])
    sample.gt_instances = gt
    return sample


#: (h, w) crops, not square, so that a swapped x / y scale shows.
SAMPLES = [
    # a face that overflows the crop on the left and the bottom
    ((48, 64), [-6.5, 3.25, 58., 51.], [[20.5, 18.], [41., 17.5], [31., 30.],
                                        [22., 40.5], [40., 41.]], FACE),
    ((64, 48), [2., 5., 45.5, 60.], [[12., 20.], [33.5, 21.], [24., 34.],
                                     [15., 47.], [31., 46.5]], FACE),
    # a part face trains the box only
    ((40, 40), [10., -8., 52., 30.], [[20., 5.], [35., 5.], [28., 14.],
                                      [22., 22.], [34., 22.]], PART_FACE),
    ((40, 40), None, None, NON_FACE),
]


@pytest.fixture(scope='module')
def head():
    return MODELS.build(tiny_mcfa_config(num_attributes=NUM_ATTRIBUTES)).head


def test_targets_decode_back_to_the_same_pixels(head):
    samples = [_sample(*args) for args in SAMPLES]
    targets = build_face_targets(samples, NUM_ATTRIBUTES, torch.device('cpu'))
    assert targets.face_label.tolist() == [FACE, FACE, PART_FACE, NON_FACE]
    assert targets.bbox_mask.tolist() == [True, True, True, False]
    assert targets.landmark_mask.tolist() == [True, True, False, False]
    assert targets.attributes[0].tolist() == [1, 0, -1]
    assert targets.attributes[3].tolist() == [-1] * NUM_ATTRIBUTES

    # the targets as if the network had predicted them exactly
    outs = dict(
        face_cls=torch.tensor([[0., 5.]]).repeat(len(samples), 1),
        bbox=targets.bbox,
        landmark=targets.landmark,
        attribute=torch.zeros(len(samples), NUM_ATTRIBUTES))
    decoded = head.decode_batch(outs, [s.metainfo for s in samples])
    for i, (_, box, keypoints, _) in enumerate(SAMPLES):
        if targets.bbox_mask[i]:
            torch.testing.assert_close(decoded['bboxes'][i],
                                       torch.tensor(box))
        if targets.landmark_mask[i]:
            torch.testing.assert_close(decoded['keypoints'][i],
                                       torch.tensor(keypoints))
    assert decoded['scores'] == pytest.approx(
        torch.tensor([5.]).sigmoid().item())
    assert decoded['attribute_scores'].eq(0.5).all()


def test_hand_computed_encoding():
    """Box offsets from the crop window over its side; landmarks over the
    side: a 64 x 48 (w x h) crop."""
    sample = _sample((48, 64), [8., 12., 56., 36.], [[16., 24.]] * 5, FACE)
    targets = build_face_targets([sample], NUM_ATTRIBUTES,
                                 torch.device('cpu'))
    torch.testing.assert_close(targets.bbox[0],
                               torch.tensor([0.125, 0.25, -0.125, -0.25]))
    torch.testing.assert_close(targets.landmark[0],
                               torch.tensor([0.25, 0.5] * 5))
