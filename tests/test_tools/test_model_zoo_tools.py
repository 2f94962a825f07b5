"""tools/model_converters/publish_model.py and the false-positive rule of
tools/misc/mine_hard_negatives.py."""
import hashlib
import importlib.util
import os.path as osp

import torch

from mcfa_mm.testing import tiny_mcfa_config
from mmdet.registry import MODELS
from tests.conftest import REPO_ROOT


def _script(folder: str, name: str):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO_ROOT, 'tools', folder, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_published_checkpoint_is_weights_only_and_named_by_its_hash(tmp_path):
    model = MODELS.build(tiny_mcfa_config())
    # a training checkpoint holds more than weights: optimizer state and a
    # message hub that weights-only loading needs an allow-list for
    training = dict(
        state_dict=model.state_dict(),
        optimizer=dict(state={}, param_groups=[dict(lr=0.1)]),
        meta=dict(iter=7, dataset_meta=dict(attribute_names=['a'])))
    in_file = str(tmp_path / 'iter_7.pth')
    torch.save(training, in_file)
    publish = _script('model_converters', 'publish_model')
    out_file = publish.publish(in_file, str(tmp_path / 'zoo'), 'tiny',
                               'configs/tiny.py')
    with open(out_file, 'rb') as file:
        digest = hashlib.sha256(file.read()).hexdigest()
    assert osp.basename(out_file).startswith('tiny_')
    assert out_file.endswith(f'-{digest[:8]}.pth')
    checkpoint = torch.load(out_file, weights_only=True)
    assert set(checkpoint) == {'state_dict', 'meta'}
    assert checkpoint['meta']['config'] == 'configs/tiny.py'
    assert checkpoint['meta']['iter'] == 7
    # 1 attribute name is not CelebA's 40: the 40 names are written
    assert len(checkpoint['meta']['dataset_meta']['attribute_names']) == 40
    for key, value in model.state_dict().items():
        assert torch.equal(checkpoint['state_dict'][key], value), key


def test_false_positives_overlap_every_face_below_the_threshold():
    mine = _script('misc', 'mine_hard_negatives')
    faces = torch.tensor([[100., 100., 200., 200.]])
    boxes = torch.tensor([
        [100., 100., 200., 200.],  # the face
        [120., 120., 150., 150.],  # an eye: IoU 0.09
        [150., 100., 250., 200.],  # a near miss: IoU 1/3
        [0., 0., 50., 50.],  # background
    ])
    scores = torch.tensor([0.99, 0.9, 0.8, 0.7])
    found = mine.false_positives(boxes, scores, faces, max_iou=0.3)
    assert [tuple(round(v, 2) for v in f) for f in found] == [
        (120.0, 120.0, 150.0, 150.0, 0.9), (0.0, 0.0, 50.0, 50.0, 0.7)]
    assert mine.false_positives(boxes[:0], scores[:0], faces, 0.3) == []
    # a photo without labelled faces: every box is a false positive
    assert len(mine.false_positives(boxes, scores, faces[:0], 0.3)) == 4
