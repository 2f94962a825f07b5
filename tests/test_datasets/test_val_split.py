"""Validation splits carved out of train (LFWA and wild have no val rows)."""
import hashlib
import os
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


def _wild_folder(tmp_path, files: dict) -> WildFaceDataset:
    """A wild dataset (not loaded) over a folder of ``{name: bytes}``."""
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    dataset = WildFaceDataset.__new__(WildFaceDataset)
    dataset.data_prefix = dict(img=str(tmp_path))
    return dataset


def test_wild_groups_copies_and_faces_of_one_photo(tmp_path):
    """Byte-identical files are one group whatever their names; faces of
    one photo too; ``_<angle>_<n>_<k>`` files of one ``n`` are not."""
    dataset = _wild_folder(
        tmp_path, {
            '12_0_0.jpg': b'photo 12, face 0',
            '12_1_0.jpg': b'photo 12, face 1',
            '5041_0_0.jpg': b'one picture saved twice',
            '6594_0_0.jpg': b'one picture saved twice',
            '_-20_1023_0.jpg': b'a person',
            '_20_1023_0.jpg': b'another person',
            # a copy joins its original's photo
            '_40_1023_0.jpg': b'photo 12, face 1',
        })

    def group(name):
        return dataset.group_key(name, None)

    assert group('12_0_0.jpg') == group('12_1_0.jpg')
    assert group('5041_0_0.jpg') == group('6594_0_0.jpg')
    assert group('_40_1023_0.jpg') == group('12_0_0.jpg')
    assert group('_-20_1023_0.jpg') != group('_20_1023_0.jpg')
    assert len({group(n) for n in os.listdir(tmp_path)}) == 4


def test_val_fraction_is_validated(tmp_path):
    with pytest.raises(ValueError, match='val_fraction'):
        LFWADataset(data_root=str(tmp_path), split='train', val_fraction=1.0)


@pytest.mark.shared_data
@pytest.mark.parametrize('cls, name', [(LFWADataset, 'lfwa'),
                                       (WildFaceDataset, 'wild')])
def test_real_val_split_is_disjoint_from_train(shared_data_root, cls, name):
    """Train and carved val share no image, no person (LFWA) and no
    picture (wild: by the files' bytes and by photo number), read from the
    data itself rather than from the grouping that made the split."""
    root = osp.join(shared_data_root, name)
    kwargs = dict(data_root=root, val_fraction=0.1, lazy_init=False)
    train = cls(split='train', **kwargs)
    val = cls(split='val', **kwargs)
    trainval = cls(split='trainval', **kwargs)
    infos = {
        split: [d.get_data_info(i) for i in range(len(d))]
        for split, d in (('train', train), ('val', val))
    }
    train_ids, val_ids = ({info['img_id']
                           for info in infos[split]}
                          for split in ('train', 'val'))
    assert not train_ids & val_ids
    assert len(train_ids) + len(val_ids) == len(trainval)
    assert 0.07 < len(val_ids) / len(trainval) < 0.13
    if cls is LFWADataset:
        people = [{info['identity'] for info in infos[split]}
                  for split in ('train', 'val')]
        assert None not in people[0] | people[1]
        assert not people[0] & people[1]
        return

    def contents(split):
        return {_sha1(info['img_path']) for info in infos[split]}

    def photos(split):
        return {
            info['img_id'].split('_')[0]
            for info in infos[split] if not info['img_id'].startswith('_')
        }

    assert not contents('train') & contents('val')
    assert not photos('train') & photos('val')


@pytest.mark.shared_data
def test_real_copies_share_a_split(shared_data_root):
    """5041_0_0.jpg and 6594_0_0.jpg are one picture saved twice: both
    train or both val, never one in each."""
    root = osp.join(shared_data_root, 'wild')
    copies = ('5041_0_0.jpg', '6594_0_0.jpg')
    assert _sha1(osp.join(root, 'Img', 'img_wild', copies[0])) == _sha1(
        osp.join(root, 'Img', 'img_wild', copies[1]))
    ids = {
        split: _img_ids(
            WildFaceDataset(data_root=root, split=split, val_fraction=0.1))
        for split in ('train', 'val')
    }
    homes = [[split for split in ids if name in ids[split]]
             for name in copies]
    assert homes[0] == homes[1] and len(homes[0]) == 1


def _sha1(path: str) -> str:
    with open(path, 'rb') as file:
        return hashlib.sha1(file.read()).hexdigest()


def _img_ids(dataset) -> set:
    return {
        dataset.get_data_info(i)['img_id']
        for i in range(len(dataset))
    }
