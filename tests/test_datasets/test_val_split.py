"""Validation splits carved out of train (LFWA and wild have no val rows)."""
import os.path as osp

import pytest

from mcfa_mm.datasets import LFWADataset, WildFaceDataset
from mcfa_mm.datasets.celeba import in_carved_val


def test_carved_val_is_deterministic_and_about_the_fraction():
    groups = [f'photo:{i}' for i in range(5000)]
    chosen = [g for g in groups if in_carved_val(g, 0.1)]
    assert chosen == [g for g in groups if in_carved_val(g, 0.1)]
    assert 0.08 < len(chosen) / len(groups) < 0.12
    # a larger fraction only adds groups
    assert set(chosen) <= {g for g in groups if in_carved_val(g, 0.3)}
    assert not any(in_carved_val(g, 0.0) for g in groups)


def test_wild_group_keeps_faces_and_rotations_of_one_photo_together():
    dataset = WildFaceDataset.__new__(WildFaceDataset)
    assert dataset.group_key('12_0_0.jpg', None) == dataset.group_key(
        '12_1_0.jpg', None) == 'photo:12'
    assert dataset.group_key('_-20_1182_0.jpg', None) == dataset.group_key(
        '_40_1182_0.jpg', None) == 'rotated:1182'


def test_val_fraction_is_validated(tmp_path):
    with pytest.raises(ValueError, match='val_fraction'):
        LFWADataset(data_root=str(tmp_path), split='train', val_fraction=1.0)


@pytest.mark.shared_data
@pytest.mark.parametrize('cls, name', [(LFWADataset, 'lfwa'),
                                       (WildFaceDataset, 'wild')])
def test_real_val_split_is_disjoint_from_train(shared_data_root, cls, name):
    root = osp.join(shared_data_root, name)
    kwargs = dict(data_root=root, val_fraction=0.1, lazy_init=False)
    train = cls(split='train', **kwargs)
    val = cls(split='val', **kwargs)
    trainval = cls(split='trainval', **kwargs)
    train_ids = {train.get_data_info(i)['img_id'] for i in range(len(train))}
    val_ids = {val.get_data_info(i)['img_id'] for i in range(len(val))}
    assert not train_ids & val_ids
    assert len(train_ids) + len(val_ids) == len(trainval)
    assert 0.07 < len(val_ids) / len(trainval) < 0.13
    groups = {
        val.group_key(val.get_data_info(i)['img_id'],
                      val.get_data_info(i)['identity'])
        for i in range(len(val))
    }
    assert not any(
        train.group_key(train.get_data_info(i)['img_id'],
                        train.get_data_info(i)['identity']) in groups
        for i in range(len(train)))
