"""A bad image fails loudly, naming the file: at dataset build time when it
is missing then, at the sample that uses it otherwise."""
import glob
import os
import shutil

import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile

from mcfa_mm.utils import FaceImageError
from mmdet.registry import DATASETS, TRANSFORMS

PARTITION_FILE = 'Eval/list_eval_partition.txt'


@pytest.fixture
def demo_copy(demo_data_root, tmp_path):
    """A copy of the generated demo data that a test may damage."""
    root = str(tmp_path / 'demo')
    shutil.copytree(demo_data_root, root)
    return root


def _dataset(root, **kwargs):
    return DATASETS.build(
        dict(type='CelebADataset', data_root=root,
             data_prefix=dict(img='Img/img_celeba/'), split='all',
             pipeline=[dict(type='LoadFaceImageFromFile'),
                       dict(type='LoadFaceAnnotations')], **kwargs))


def _index_of(dataset, path):
    return [i for i in range(len(dataset))
            if dataset.get_data_info(i)['img_path'] == path][0]


def _truncate(path):
    with open(path, 'rb') as file:
        data = file.read()
    with open(path, 'wb') as file:
        file.write(data[:len(data) // 2])


def test_good_image_loads_as_mmcv_loads_it(demo_copy):
    path = sorted(glob.glob(f'{demo_copy}/Img/img_celeba/*.jpg'))[0]
    ours = TRANSFORMS.build(dict(type='LoadFaceImageFromFile')).transform(
        dict(img_path=path))
    theirs = LoadImageFromFile().transform(dict(img_path=path))
    np.testing.assert_array_equal(ours['img'], theirs['img'])
    assert ours['img_shape'] == ours['ori_shape'] == theirs['img_shape']


@pytest.mark.parametrize('damage, problem', [
    ('text', 'not an image'),
    ('truncate', 'truncated JPEG'),
    ('empty', 'empty file'),
    ('remove', 'file not found'),
])
def test_bad_image_names_the_file_and_the_problem(demo_copy, damage,
                                                  problem):
    dataset = _dataset(demo_copy)
    victim = sorted(glob.glob(f'{demo_copy}/Img/img_celeba/*.jpg'))[0]
    index = _index_of(dataset, victim)
    if damage == 'text':
        with open(victim, 'wb') as file:
            file.write(b'not a jpeg at all')
    elif damage == 'truncate':
        _truncate(victim)
    elif damage == 'empty':
        open(victim, 'wb').close()
    else:  # disappears after the dataset was built, before iteration
        os.remove(victim)
    with pytest.raises(FaceImageError, match=problem) as error:
        dataset[index]
    assert error.value.path == victim and victim in str(error.value)


def test_ignore_empty_is_refused():
    with pytest.raises(ValueError, match='never skips'):
        TRANSFORMS.build(dict(type='LoadFaceImageFromFile',
                              ignore_empty=True))


def test_image_gone_before_training_fails_at_build(demo_copy):
    """An image listed in the annotations that disappeared: the error
    names the image and the annotation file when the dataset is built,
    not at iteration N; skip_invalid counts it instead."""
    full = len(_dataset(demo_copy))
    victim = sorted(glob.glob(f'{demo_copy}/Img/img_celeba/*.jpg'))[3]
    os.remove(victim)
    with pytest.raises(FileNotFoundError) as error:
        _dataset(demo_copy)
    assert victim in str(error.value)
    assert PARTITION_FILE in str(error.value)
    dataset = _dataset(demo_copy, skip_invalid=True)
    assert dataset.num_skipped == 1 and len(dataset) == full - 1
    assert victim in dataset.skipped[0]
