"""The datasets on the real face data of ../shared/data (skipped if absent)."""
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mcfa_mm.datasets import (CELEBA_ATTRIBUTES, CelebADataset, LFWADataset,
                              WildFaceDataset)

pytestmark = pytest.mark.shared_data


def _sample(ds, num=100):
    """About ``num`` data infos spread over the dataset."""
    step = max(1, len(ds) // num)
    return [ds.get_data_info(i) for i in range(0, len(ds), step)]


def _check_geometry(infos, image_size=None):
    """Boxes and landmarks inside their images; left eye left on average."""
    eye_dx = []
    for info in infos:
        with Image.open(info['img_path']) as img:
            w, h = img.size
        if image_size is not None:
            assert (w, h) == image_size, info['img_id']
        inst = info['instances'][0]
        x1, y1, x2, y2 = inst['bbox']
        assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h, info['img_id']
        pts = np.array(inst['keypoints'])
        assert pts.shape == (5, 2)
        assert ((pts >= 0) & (pts <= [w, h])).all(), info['img_id']
        eye_dx.append(pts[1, 0] - pts[0, 0])
    assert np.mean(eye_dx) > 0


def test_celeba(shared_data_root):
    root = osp.join(shared_data_root, 'celeba')
    sizes = {
        split: len(CelebADataset(data_root=root, split=split))
        for split in ('train', 'val', 'test')
    }
    assert sizes == dict(train=4793, val=997, test=1499)
    ds = CelebADataset(data_root=root, split='val')
    assert ds.metainfo['attribute_names'] == CELEBA_ATTRIBUTES
    inst = ds[0]['instances'][0]
    assert inst['bbox'] is None and inst['keypoints'] is None
    assert len(inst['attributes']) == 40
    assert set(inst['attributes']) <= {0, 1}


def test_lfwa(shared_data_root):
    root = osp.join(shared_data_root, 'lfwa')
    train = LFWADataset(data_root=root, split='train')
    test = LFWADataset(data_root=root, split='test')
    assert (len(train), len(test)) == (2638, 879)
    assert train.metainfo['attribute_names'] == CELEBA_ATTRIBUTES
    assert len(LFWADataset(data_root=root, split='val')) == 0
    _check_geometry(_sample(test), image_size=(80, 80))


def test_wild(shared_data_root):
    root = osp.join(shared_data_root, 'wild')
    train = WildFaceDataset(data_root=root, split='train')
    test = WildFaceDataset(data_root=root, split='test')
    assert (len(train), len(test)) == (3200, 800)
    assert train[0]['instances'][0]['attributes'] is None
    _check_geometry(_sample(train))
