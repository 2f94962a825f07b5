"""Regression tests of the model that ships in checkpoints/ (issue 13).

They check that the committed weights are the ones the metafile describes
(sha256, weights-only loading, meta) and that they still reproduce the
numbers recorded in the metafile on small slices of the real test splits
(``tools/analysis_tools/zoo_regression.py`` computed those).
"""
import hashlib
import os.path as osp

import pytest
import torch

from mcfa_mm.apis import DEFAULT_MODEL, get_model, load_metafile
from mcfa_mm.datasets.metainfo import CELEBA_ATTRIBUTES
from tests.conftest import REPO_ROOT


def _entry() -> dict:
    return next(m for m in load_metafile() if m['Name'] == DEFAULT_MODEL)


def _recorded(dataset: str) -> dict:
    return next(r for r in _entry()['Results']
                if r['Dataset'] == dataset)['Metrics']


def test_weights_are_the_ones_the_metafile_describes():
    config, weights = get_model()
    entry = _entry()
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


@pytest.mark.shared_data
def test_reproduces_the_recorded_numbers(shared_data_root, load_zoo_tool):
    config, weights = get_model()
    numbers = load_zoo_tool.regression_numbers(config, weights)
    celeba = _recorded('CelebA test, first 300 crops')
    assert numbers['celeba_first300']['mean_accuracy'] == pytest.approx(
        celeba['Mean accuracy'], abs=0.2)
    assert numbers['celeba_first300']['balanced_accuracy'] == pytest.approx(
        celeba['Balanced accuracy'], abs=0.2)
    wild = _recorded('wild test, first 50 photos')
    assert abs(numbers['wild_first50']['found'] - wild['Faces found']) <= 1
