import pytest
import torch

from mcfa_mm.models.heads import MCFAHead, StageTaskBranch
from mcfa_mm.models.necks import MCFACascadeNeck
from mcfa_mm.testing import random_face_samples


def test_full_size_neck_concatenation():
    neck = MCFACascadeNeck(in_channels=(256, 512, 512), map_size=7)
    s = torch.rand(2, 256, 1, 1)
    m, large = torch.rand(2, 512, 7, 7), torch.rand(2, 512, 7, 7)
    s_out, m_out, l_out = neck((s, m, large))
    assert neck.out_channels == (256, 1280, 2304)
    assert s_out.shape == (2, 256, 1, 1)
    assert m_out.shape == (2, 1280)
    assert l_out.shape == (2, 2304)
    # S's 256 ride at the end of M's vector, M's 1280 at the end of L's
    assert torch.equal(m_out[:, 1024:], s.flatten(1))
    assert torch.equal(l_out[:, 1024:], m_out)


def test_branch_outputs_and_unknown_task():
    branch = StageTaskBranch(16, 8, num_attributes=5)
    outs = branch(torch.rand(3, 16))
    assert {k: tuple(v.shape) for k, v in outs.items()} == {
        'face_cls': (3, 2), 'bbox': (3, 4), 'landmark': (3, 10),
        'attribute': (3, 5), 'attr_weight': (3, 5)}
    conv = StageTaskBranch(16, 8, 5, fully_convolutional=True)
    assert conv(torch.rand(1, 16, 3, 4))['face_cls'].shape == (1, 2, 3, 4)
    with pytest.raises(ValueError, match='Unknown tasks'):
        StageTaskBranch(16, 8, 5, tasks=('pose', ))


@pytest.mark.parametrize('tasks,keys', [
    (('attribute', ), {'loss_attr'}),
    (('face_cls', 'bbox', 'attribute'),
     {'loss_cls', 'loss_bbox', 'loss_attr'}),
    (('landmark', 'attribute'), {'loss_landmark', 'loss_attr'}),
])
def test_variants_switch_losses(tasks, keys):
    head = MCFAHead(in_channels=(8, 16, 24), hidden_channels=(8, 8, 8),
                    num_attributes=4, tasks=tasks)
    feats = (torch.rand(2, 8, 1, 1), torch.rand(2, 16), torch.rand(2, 24))
    losses = head.loss(feats, random_face_samples(2, 32, 4))
    loss_keys = {k.split('_', 1)[1] for k in losses if 'loss' in k}
    assert loss_keys == keys


def test_non_faces_train_only_classification():
    head = MCFAHead(in_channels=(8, 16, 24), hidden_channels=(8, 8, 8),
                    num_attributes=4)
    feats = (torch.rand(3, 8, 1, 1), torch.rand(3, 16), torch.rand(3, 24))
    losses = head.loss(feats, random_face_samples(3, 32, 4, [0, 0, 0]))
    for stage in 'sml':
        assert losses[f'{stage}_loss_cls'] > 0
        for task in ('bbox', 'landmark', 'attr'):
            assert losses[f'{stage}_loss_{task}'].item() == 0


def test_part_faces_train_only_boxes():
    head = MCFAHead(in_channels=(8, 16, 24), hidden_channels=(8, 8, 8),
                    num_attributes=4)
    feats = (torch.rand(2, 8, 1, 1), torch.rand(2, 16), torch.rand(2, 24))
    losses = head.loss(feats, random_face_samples(2, 32, 4, [-1, -1]))
    assert losses['l_loss_bbox'] > 0
    assert losses['l_loss_cls'].item() == 0
    assert losses['l_loss_landmark'].item() == 0
    assert losses['l_loss_attr'].item() == 0


def test_missing_landmarks_and_attributes_are_masked():
    head = MCFAHead(in_channels=(8, 16, 24), hidden_channels=(8, 8, 8),
                    num_attributes=4)
    feats = (torch.rand(2, 8, 1, 1), torch.rand(2, 16), torch.rand(2, 24))
    samples = random_face_samples(2, 32, 4)
    for sample in samples:
        sample.gt_instances.keypoints_visible[:] = 0
        sample.gt_instances.attributes[:] = -1
    losses = head.loss(feats, samples)
    assert losses['m_loss_landmark'].item() == 0
    assert losses['m_loss_attr'].item() == 0
    assert losses['m_loss_bbox'] > 0


def test_neck_without_cascade_is_plain():
    neck = MCFACascadeNeck(in_channels=(8, 16, 16), map_size=2,
                           fc_channels=12, use_cascade=False)
    outs = neck((torch.rand(2, 8, 1, 1), torch.rand(2, 16, 2, 2),
                 torch.rand(2, 16, 2, 2)))
    assert neck.out_channels == (8, 12, 12)
    assert [o.shape[1] for o in outs] == [8, 12, 12]


def test_stage_loss_weights_silence_stages():
    head = MCFAHead(in_channels=(8, 16, 24), hidden_channels=(8, 8, 8),
                    num_attributes=4, stage_loss_weights=(0, 0, 1))
    feats = (torch.rand(2, 8, 1, 1), torch.rand(2, 16), torch.rand(2, 24))
    losses = head.loss(feats, random_face_samples(2, 32, 4))
    assert losses['s_loss_attr'].item() == 0
    assert losses['m_loss_cls'].item() == 0
    assert losses['l_loss_attr'] > 0
