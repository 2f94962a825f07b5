"""Regression tests of every model that ships in checkpoints/.

They check that the committed weights are the ones the metafile describes
(sha256, weights-only loading, meta, the published attribute thresholds)
and that they still reproduce the numbers recorded in the metafile on small
slices of the real test splits (``tools/analysis_tools/zoo_regression.py``
computed those).
"""
import hashlib
import json
import os.path as osp

import pytest
import torch

from mcfa_mm.apis import DEFAULT_MODEL, get_model, list_models, load_metafile
from mcfa_mm.datasets.metainfo import CELEBA_ATTRIBUTES
from tests.conftest import REPO_ROOT

MODELS = list_models()


def _entry(name: str) -> dict:
    return next(m for m in load_metafile() if m['Name'] == name)


def _recorded(name: str, dataset: str) -> dict:
    return next(r for r in _entry(name)['Results']
                if r['Dataset'] == dataset)['Metrics']


def test_the_default_is_the_round_6_model():
    assert DEFAULT_MODEL in MODELS
    assert 'bf16_lfwa-ft' in ' '.join(MODELS)
    assert len(MODELS) >= 3


@pytest.mark.parametrize('name', MODELS)
def test_weights_are_the_ones_the_metafile_describes(name):
    config, weights = get_model(name)
    entry = _entry(name)
    with open(weights, 'rb') as file:
        digest = hashlib.sha256(file.read()).hexdigest()
    assert digest == entry['Metadata']['SHA256']
    # OpenMMLab names a checkpoint after the sha256's first 8 hex digits
    assert osp.basename(weights).endswith(f'-{digest[:8]}.pth')
    assert osp.getsize(weights) <= 15 * 2**20
    checkpoint = torch.load(weights, map_location='cpu', weights_only=True)
    assert set(checkpoint) == {'state_dict', 'meta'}
    meta = checkpoint['meta']
    assert tuple(meta['dataset_meta']['attribute_names']) == tuple(
        CELEBA_ATTRIBUTES)
    assert meta['config'] == entry['Config']
    assert osp.relpath(config, REPO_ROOT) == entry['Config']
    assert all(value.dtype != torch.bfloat16
               for value in checkpoint['state_dict'].values())


@pytest.mark.parametrize('name', MODELS)
def test_published_thresholds_match_their_json(name):
    """The thresholds fitted on validation ride in the checkpoint's meta
    (round 6 on); the JSON beside it holds the same numbers."""
    _, weights = get_model(name)
    meta = torch.load(weights, map_location='cpu',
                      weights_only=True)['meta']['dataset_meta']
    stored = meta.get('attribute_thresholds')
    if stored is None:
        assert name == 'mcfa-recipe_vgg16-w025-128px_celeba-multisource'
        return
    path = osp.join(REPO_ROOT,
                    _entry(name)['Metadata']['Attribute Thresholds'])
    with open(path) as file:
        fitted = json.load(file)
    thresholds = dict(zip(fitted['attribute_names'], fitted['thresholds']))
    assert set(stored) == set(CELEBA_ATTRIBUTES)
    for attribute, value in stored.items():
        assert value == pytest.approx(thresholds[attribute])
    assert len(set(stored.values())) > 1  # fitted, not all 0.5


@pytest.mark.shared_data
@pytest.mark.parametrize('name', MODELS)
def test_reproduces_the_recorded_numbers(shared_data_root, load_zoo_tool,
                                         name):
    config, weights = get_model(name)
    datasets = [r['Dataset'] for r in _entry(name)['Results']]
    # an LFWA fine-tune never saw a non-face: no cascade numbers recorded
    cascade = 'wild test, first 50 photos' in datasets
    numbers = load_zoo_tool.regression_numbers(config, weights,
                                               cascade=cascade)
    celeba = _recorded(name, 'CelebA test, first 300 crops')
    assert numbers['celeba_first300']['mean_accuracy'] == pytest.approx(
        celeba['Mean accuracy'], abs=0.2)
    assert numbers['celeba_first300']['balanced_accuracy'] == pytest.approx(
        celeba['Balanced accuracy'], abs=0.2)
    if not cascade:
        assert name.endswith('lfwa-ft')  # only a fine-tune may skip it
        return
    wild = _recorded(name, 'wild test, first 50 photos')
    found = numbers['wild_first50']
    assert found['photos'] == 50
    assert abs(found['found'] - wild['Faces found']) <= 1
    # and with as many boxes: a cascade whose thresholds did nothing would
    # find the faces too, with max_per_img (20) boxes on each photo
    assert abs(found['boxes'] - wild['Boxes']) <= 4, found
