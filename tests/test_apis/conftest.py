"""Fixtures of the API and demo tests: a tiny model zoo that stands in for
the shipped model (``load_script``, which imports the demo scripts, comes
from tests/conftest.py)."""
import os
import os.path as osp
from typing import Dict

import pytest
import torch
from mmengine.config import Config
from mmengine.fileio import dump

from mcfa_mm.apis import DEFAULT_MODEL, model_zoo
from mcfa_mm.testing import tiny_mcfa_config
from mmdet.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: Attribute names the tiny checkpoint carries (the demo set's 8).
TINY_NAMES = ('Bangs', 'Black_Hair', 'Blond_Hair', 'Eyeglasses', 'Goatee',
              'Smiling', 'Wearing_Hat', 'Male')


@pytest.fixture(scope='session')
def tiny_zoo(tmp_path_factory) -> Dict[str, str]:
    """A repository layout with a metafile whose default model is a tiny,
    untrained MCFA: ``configs/mcfa/tiny.py``, ``checkpoints/tiny.pth``.

    Its config keeps ``test_cfg.mode='crop'`` (as the real config does) and
    zero cascade thresholds with ``max_per_img=3``, so that the cascade
    returns exactly 3 faces on any photo with a proposal.
    """
    root = str(tmp_path_factory.mktemp('zoo'))
    cfg = tiny_mcfa_config(input_size=64)
    cfg['test_cfg'] = dict(mode='crop', min_face_size=16,
                           thresholds=(0.0, 0.0, 0.0), max_per_img=3,
                           max_proposals=20)
    config = osp.join(root, 'configs', 'mcfa', 'tiny.py')
    os.makedirs(osp.dirname(config))
    Config(dict(model=cfg, default_scope='mmdet')).dump(config)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    checkpoint = osp.join(root, 'checkpoints', 'tiny.pth')
    os.makedirs(osp.dirname(checkpoint))
    torch.save(
        dict(state_dict=model.state_dict(),
             meta=dict(dataset_meta=dict(classes=('face', ),
                                         attribute_names=TINY_NAMES))),
        checkpoint)
    metafile = osp.join(root, 'configs', 'mcfa', 'metafile.yml')
    dump(dict(Models=[
        dict(Name=DEFAULT_MODEL, Config='configs/mcfa/tiny.py',
             Weights='checkpoints/tiny.pth', Results=[]),
        dict(Name='no-weights', Config='configs/mcfa/tiny.py',
             Weights='checkpoints/missing.pth', Results=[])
    ]), metafile, file_format='yaml')
    return dict(root=root, config=config, checkpoint=checkpoint,
                metafile=metafile, names=TINY_NAMES)


@pytest.fixture
def shipped_tiny(tiny_zoo, monkeypatch) -> Dict[str, str]:
    """Make the tiny zoo the repository's model zoo for one test."""
    monkeypatch.setattr(model_zoo, 'METAFILE', tiny_zoo['metafile'])
    return tiny_zoo
