"""Batches with a fixed mix of face kinds (the recipe config's sampler).

The recipe uses mmdet's own ``MultiSourceSampler`` over one source per kind:
attribute faces, landmark faces, part faces, non-faces. These tests check
that every batch of every rank holds the configured counts, whatever the
sizes of the sources.
"""
from unittest import mock

import pytest
from mmengine.config import Config
from torch.utils.data import ConcatDataset

from mmdet.registry import DATA_SAMPLERS
from tests.conftest import REPO_ROOT

RECIPE = (f'{REPO_ROOT}/configs/mcfa_study/'
          'mcfa-recipe_vgg16-w025-128px_1xb32-3000i_celeba-multisource.py')


class _Source:
    """A dataset of ``size`` items whose item ``i`` is ``(name, i)``."""

    def __init__(self, name: str, size: int) -> None:
        self.name, self.size = name, size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int):
        return self.name, index


def _kinds_dataset():
    # sources of very different sizes: the mix must not follow them
    sizes = dict(attribute=4793, landmark=5000, part=60, negative=11)
    return ConcatDataset(
        [_Source(name, size) for name, size in sizes.items()]), list(sizes)


def _batches(sampler, batch_size: int, count: int):
    iterator = iter(sampler)
    return [[next(iterator) for _ in range(batch_size)] for _ in range(count)]


@pytest.mark.parametrize('world_size', [1, 2])
def test_every_batch_of_every_rank_has_the_configured_mix(world_size):
    dataset, names = _kinds_dataset()
    ratio = [12, 10, 3, 7]
    seen = []
    for rank in range(world_size):
        with mock.patch(
                'mmdet.datasets.samplers.multi_source_sampler.get_dist_info',
                return_value=(rank, world_size)):
            sampler = DATA_SAMPLERS.build(
                dict(type='MultiSourceSampler', batch_size=32,
                     source_ratio=ratio, seed=0),
                default_args=dict(dataset=dataset))
        for batch in _batches(sampler, 32, 20):
            kinds = [dataset[i][0] for i in batch]
            assert [kinds.count(name) for name in names] == ratio
            seen.append((rank, batch))
    if world_size == 2:
        # the ranks draw different samples from the same sources
        rank0 = {i for rank, b in seen if rank == 0 for i in b}
        rank1 = {i for rank, b in seen if rank == 1 for i in b}
        assert rank0 != rank1


def test_recipe_config_names_one_source_per_kind_in_the_ratio_order():
    cfg = Config.fromfile(RECIPE)
    sampler = cfg.train_dataloader.sampler
    datasets = cfg.train_dataloader.dataset.datasets
    assert sampler.type == 'MultiSourceSampler'
    assert sampler.batch_size == cfg.train_dataloader.batch_size
    assert len(sampler.source_ratio) == len(datasets) == 4
    assert sum(sampler.source_ratio) == sampler.batch_size
    assert datasets[0].type == 'CelebADataset'
    kinds = []
    for source in datasets[1:]:
        mining = [
            step for step in source.datasets[0].pipeline
            if step['type'] == 'MineFaceSample'
        ][0]
        kinds.append(list(mining['sample_ratios']))
    assert kinds == [['positive'], ['part'], ['negative']]
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
