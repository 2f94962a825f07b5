"""CelebADataset and its LFWA / in-the-wild variants."""
import os
import os.path as osp

import numpy as np
import pytest
from mmdet.registry import DATASETS

import mcfa_mm.datasets.celeba as celeba_module
from mcfa_mm.datasets import (AnnotationError, CelebADataset, LFWADataset,
                              WildFaceDataset, parse_attr_file,
                              parse_bbox_file)
from mcfa_mm.datasets.annotation_files import LANDMARK_HEADER
from mcfa_mm.datasets import DEMO_ATTRIBUTES

NAMES = ('Bangs', 'Male', 'Smiling')


def make_layout(root, ids, img_dir='Img/img_celeba_crop', attr='celeba',
                identity='CelebA', partitions=None, images=None,
                extra_attr_rows=()):
    """Write a tiny dataset in the official formats (empty image files).

    Row ``i`` gets attributes alternating 1 / -1, box ``(i, 2i, 10, 12)``,
    landmarks ``i + 0..9`` and partition ``partitions[i]`` (``i % 3``).
    """
    anno, ev = osp.join(root, 'Anno'), osp.join(root, 'Eval')
    os.makedirs(anno, exist_ok=True)
    os.makedirs(ev, exist_ok=True)
    partitions = partitions or [i % 3 for i in range(len(ids))]

    def dump(path, lines):
        with open(path, 'w') as f:
            f.write(''.join(line + '\n' for line in lines))

    attr_rows = [
        f'{img_id} ' + ' '.join(f'{1 if (i + k) % 2 else -1:2d}'
                                for k in range(len(NAMES)))
        for i, img_id in enumerate(ids)
    ] + list(extra_attr_rows)
    dump(osp.join(anno, f'list_attr_{attr}.txt'),
         [str(len(attr_rows)), ' '.join(NAMES)] + attr_rows)
    dump(osp.join(anno, f'list_bbox_{attr}.txt'),
         [str(len(ids)), 'image_id x_1 y_1 width height'] +
         [f'{img_id} {i} {2 * i} 10 12' for i, img_id in enumerate(ids)])
    dump(osp.join(anno, f'list_landmarks_{attr}.txt'),
         [str(len(ids)), ' '.join(LANDMARK_HEADER)] + [
             ' '.join([img_id] + [str(i + k) for k in range(10)])
             for i, img_id in enumerate(ids)])
    dump(osp.join(anno, f'identity_{identity}.txt'),
         [f'{img_id} {100 + i}' for i, img_id in enumerate(ids)])
    dump(osp.join(ev, 'list_eval_partition.txt'),
         [f'{img_id} {p}' for img_id, p in zip(ids, partitions)])
    for img_id in (ids if images is None else images):
        path = osp.join(root, img_dir, img_id)
        os.makedirs(osp.dirname(path), exist_ok=True)
        open(path, 'wb').close()
    return root


IDS = [f'{i:06d}.jpg' for i in range(1, 7)]


@pytest.fixture
def tiny_root(tmp_path):
    return make_layout(str(tmp_path), IDS)


def test_data_info_format(tiny_root):
    ds = CelebADataset(data_root=tiny_root, split='all', pipeline=[])
    assert len(ds) == 6
    info = ds.get_data_info(1)
    assert info['img_id'] == '000002.jpg'
    assert info['img_path'] == osp.join(tiny_root, 'Img/img_celeba_crop/',
                                        '000002.jpg')
    assert info['identity'] == 101
    assert info['instances'] == [
        dict(
            bbox=[1.0, 2.0, 11.0, 14.0],  # xywh (1, 2, 10, 12) -> xyxy
            bbox_label=0,
            ignore_flag=0,
            keypoints=[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0],
                       [9.0, 10.0]],
            attributes=[1, 0, 1])  # file 1 / -1 -> 1 / 0
    ]
    assert ds.metainfo['attribute_names'] == NAMES
    assert ds.metainfo['classes'] == ('face', )
    assert ds.metainfo['flip_indices'] == [1, 0, 2, 4, 3]
    assert ds.get_cat_ids(0) == [0]


def test_splits_follow_partition(tiny_root):
    sizes = {
        split: len(CelebADataset(data_root=tiny_root, split=split))
        for split in ('train', 'val', 'test', 'all')
    }
    assert sizes == dict(train=2, val=2, test=2, all=6)
    test = CelebADataset(data_root=tiny_root, split='test')
    assert [d['img_id'] for d in test] == ['000003.jpg', '000006.jpg']
    with pytest.raises(ValueError, match='split'):
        CelebADataset(data_root=tiny_root, split='dev')


def test_attribute_subset_and_unknown_name(tiny_root):
    ds = CelebADataset(data_root=tiny_root, attributes=['Smiling', 'Bangs'])
    assert ds.metainfo['attribute_names'] == ('Smiling', 'Bangs')
    assert ds[1]['instances'][0]['attributes'] == [1, 1]
    with pytest.raises(ValueError) as info:
        CelebADataset(data_root=tiny_root, attributes=['Bangs', 'Beard'])
    assert "'Beard'" in str(info.value) and 'Bangs, Male, Smiling' in str(
        info.value)


def test_lazy_init_indices_serialize_and_registry(tiny_root):
    ds = CelebADataset(data_root=tiny_root, lazy_init=True,
                       attributes=['Male'])
    assert ds.metainfo['attribute_names'] == ('Male', )
    ds = DATASETS.build(
        dict(
            type='CelebADataset',
            data_root=tiny_root,
            indices=[0, 2],
            serialize_data=False))
    assert [d['img_id'] for d in ds] == ['000001.jpg', '000003.jpg']


def test_absent_files_give_none(tiny_root):
    os.remove(osp.join(tiny_root, 'Anno/list_landmarks_celeba.txt'))
    ds = CelebADataset(data_root=tiny_root, bbox_file=None, attr_file=None)
    inst = ds[0]['instances'][0]
    assert inst['bbox'] is None and inst['keypoints'] is None
    assert inst['attributes'] is None
    assert ds.metainfo['attribute_names'] == ()
    os.remove(osp.join(tiny_root, 'Eval/list_eval_partition.txt'))
    assert len(CelebADataset(data_root=tiny_root)) == 6
    with pytest.raises(ValueError, match='partition file'):
        CelebADataset(data_root=tiny_root, split='train')


def _load_skipping_invalid(root, monkeypatch):
    """``CelebADataset(skip_invalid=True)`` and the messages it logged."""
    logs = []
    monkeypatch.setattr(celeba_module, 'print_log',
                        lambda msg, **kw: logs.append(msg))
    return CelebADataset(data_root=root, skip_invalid=True), logs


def test_id_missing_from_another_file(tmp_path, monkeypatch):
    # The partition lists 000007.jpg, which has no attribute row.
    root = make_layout(str(tmp_path), IDS + ['000007.jpg'])
    attr_path = osp.join(root, 'Anno/list_attr_celeba.txt')
    with open(attr_path) as f:
        lines = f.read().splitlines()
    with open(attr_path, 'w') as f:
        f.write('\n'.join(['6'] + lines[1:-1]) + '\n')
    with pytest.raises(AnnotationError) as info:
        CelebADataset(data_root=root)
    msg = str(info.value)
    assert "'000007.jpg'" in msg and 'list_eval_partition.txt' in msg
    assert 'list_attr_celeba.txt' in msg

    ds, logs = _load_skipping_invalid(root, monkeypatch)
    assert len(ds) == 6 and ds.num_skipped == 1
    assert any('skipped 1 images' in m for m in logs)


def test_extra_row_in_attribute_file(tmp_path):
    root = make_layout(str(tmp_path), IDS,
                       extra_attr_rows=['000099.jpg -1 -1 -1'])
    with pytest.raises(AnnotationError, match="'000099.jpg' has no row in"):
        CelebADataset(data_root=root)


def test_missing_image(tmp_path, monkeypatch):
    root = make_layout(str(tmp_path), IDS, images=IDS[:-1])
    with pytest.raises(FileNotFoundError) as info:
        CelebADataset(data_root=root)
    msg = str(info.value)
    assert osp.join('img_celeba_crop', '000006.jpg') in msg
    assert 'list_eval_partition.txt' in msg
    ds, logs = _load_skipping_invalid(root, monkeypatch)
    assert len(ds) == 5 and ds.num_skipped == 1
    assert len(logs) == 1 and 'skipped 1 images' in logs[0]
    assert len(CelebADataset(data_root=root, check_images=False)) == 6


def test_bad_rows_in_dataset(tmp_path, monkeypatch):
    root = make_layout(str(tmp_path), IDS)
    attr_path = osp.join(root, 'Anno/list_attr_celeba.txt')
    with open(attr_path) as f:
        text = f.read()
    with open(attr_path, 'w') as f:  # corrupt count and a value of 0
        f.write('7' + text[1:].replace('000002.jpg  1', '000002.jpg  0'))
    with pytest.raises(AnnotationError, match=r'list_attr_celeba.txt, line'):
        CelebADataset(data_root=root)
    monkeypatch.setattr(celeba_module, 'print_log', lambda *a, **k: None)
    ds = CelebADataset(data_root=root, skip_invalid=True)
    assert [d['img_id'] for d in ds] == [i for i in IDS if i != '000002.jpg']
    assert ds.num_skipped == 1 and len(ds.skipped) >= 2


def test_lfwa_and_wild_layouts(tmp_path):
    ids = ['A_B/A_B_0001.jpg', 'C_D/C_D_0001.jpg']
    lfwa = make_layout(
        str(tmp_path / 'lfwa'), ids, img_dir='Img/lfw_80', attr='lfwa',
        identity='lfwa', partitions=[0, 2])
    ds = LFWADataset(data_root=lfwa, split='train')
    assert len(ds) == 1 and ds[0]['img_path'].endswith(
        osp.join('lfw_80', 'A_B/A_B_0001.jpg'))
    inst = ds[0]['instances'][0]
    assert inst['bbox'] and inst['keypoints'] and inst['attributes']
    assert len(LFWADataset(data_root=lfwa, split='val')) == 0

    wild = make_layout(str(tmp_path / 'wild'), IDS, img_dir='Img/img_wild')
    ds = WildFaceDataset(data_root=wild, split='all')
    assert ds[0]['instances'][0]['attributes'] is None
    assert ds[0]['identity'] is None
    assert ds[0]['instances'][0]['bbox'] == [0.0, 0.0, 10.0, 12.0]
    assert ds.metainfo['attribute_names'] == ()


def test_demo_data(demo_data_root):
    ds = CelebADataset(
        data_root=demo_data_root,
        data_prefix=dict(img='Img/img_celeba/'),
        split='train')
    assert len(ds) == 32
    assert ds.metainfo['attribute_names'] == DEMO_ATTRIBUTES
    _, attrs = parse_attr_file(
        osp.join(demo_data_root, 'Anno/list_attr_celeba.txt'))
    boxes = parse_bbox_file(
        osp.join(demo_data_root, 'Anno/list_bbox_celeba.txt'))
    info = ds[0]
    x, y, w, h = boxes[info['img_id']]
    inst = info['instances'][0]
    assert inst['bbox'] == [x, y, x + w, y + h]
    np.testing.assert_array_equal(inst['attributes'],
                                  attrs[info['img_id']] > 0)
