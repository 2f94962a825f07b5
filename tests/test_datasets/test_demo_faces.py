"""The drawn demo face dataset."""
import filecmp
import json
import os
import os.path as osp
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest

from mcfa_mm.datasets import (parse_attr_file, parse_bbox_file,
                              parse_identity_file, parse_landmark_file,
                              parse_partition_file)
from mcfa_mm.datasets import DEMO_ATTRIBUTES, generate_demo_faces

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _anno(root, name):
    return osp.join(root, 'Anno', name)


def test_files_parse_and_match(demo_data_root):
    names, attrs = parse_attr_file(_anno(demo_data_root,
                                         'list_attr_celeba.txt'))
    boxes = parse_bbox_file(_anno(demo_data_root, 'list_bbox_celeba.txt'))
    points = parse_landmark_file(
        _anno(demo_data_root, 'list_landmarks_celeba.txt'))
    ids = parse_identity_file(_anno(demo_data_root, 'identity_CelebA.txt'))
    parts = parse_partition_file(
        osp.join(demo_data_root, 'Eval/list_eval_partition.txt'))
    assert tuple(names) == DEMO_ATTRIBUTES
    assert list(attrs) == list(boxes) == list(points) == list(ids) == list(
        parts) == [f'{i:06d}.jpg' for i in range(1, 49)]
    assert np.bincount(list(parts.values())).tolist() == [32, 8, 8]
    values = np.stack(list(attrs.values()))
    # every attribute occurs both ways; hair has one colour
    assert (values == 1).any(0).all() and (values == -1).any(0).all()
    hair = values[:, [names.index('Black_Hair'), names.index('Blond_Hair')]]
    assert not ((hair == 1).all(1)).any()


def test_attribute_file_is_byte_compatible(demo_data_root):
    with open(_anno(demo_data_root, 'list_attr_celeba.txt'), 'rb') as f:
        lines = f.read().split(b'\n')
    assert lines[0] == b'48' and lines[-1] == b''
    assert lines[1] == ' '.join(DEMO_ATTRIBUTES).encode()
    row = re.compile(rb'^\d{6}\.jpg( (-1| 1)){8}$')
    assert all(row.match(line) for line in lines[2:-1])
    assert b'\r' not in b''.join(lines)


def test_geometry(demo_data_root):
    boxes = parse_bbox_file(_anno(demo_data_root, 'list_bbox_celeba.txt'))
    points = parse_landmark_file(
        _anno(demo_data_root, 'list_landmarks_celeba.txt'))
    for img_id, (x, y, w, h) in boxes.items():
        img = cv2.imread(osp.join(demo_data_root, 'Img/img_celeba', img_id))
        assert img.shape == (128, 128, 3)
        assert x >= 0 and y >= 0 and x + w <= 128 and y + h <= 128
        assert 0.35 * 128 - 1 <= w <= 0.7 * 128 + 1
        p = points[img_id]
        assert ((p >= [x, y]) & (p <= [x + w, y + h])).all(), img_id
        assert p[0, 0] < p[1, 0] and p[3, 0] < p[4, 0]  # left = smaller x
        assert p[:2, 1].max() < p[2, 1] < p[3:, 1].min()  # eyes, nose, mouth


def test_backgrounds(demo_data_root):
    with open(_anno(demo_data_root, 'list_backgrounds.txt')) as f:
        ids = f.read().split()
    assert len(ids) == round(48 * 0.15)
    for img_id in ids:
        assert osp.isfile(osp.join(demo_data_root, 'Img/backgrounds', img_id))


def test_deterministic_for_a_seed(tmp_path):
    a, b, c = (str(tmp_path / name) for name in 'abc')
    info = generate_demo_faces(a, num_images=5, seed=3, image_size=(96, 80))
    generate_demo_faces(b, num_images=5, seed=3, image_size=(96, 80))
    generate_demo_faces(c, num_images=5, seed=4, image_size=(96, 80))
    assert info['num_faces'] == 5 and info['num_backgrounds'] == 1
    assert sum(info['split_sizes'].values()) == 5
    files = [
        osp.relpath(osp.join(d, f), a) for d, _, fs in os.walk(a) for f in fs
    ]
    assert len(files) == 5 + 1 + 6
    _, mismatch, errors = filecmp.cmpfiles(a, b, files, shallow=False)
    assert not mismatch and not errors
    _, mismatch, _ = filecmp.cmpfiles(a, c, files, shallow=False)
    assert 'Anno/list_bbox_celeba.txt' in mismatch
    img = cv2.imread(osp.join(a, 'Img/img_celeba/000001.jpg'))
    assert img.shape == (80, 96, 3)


def test_cli(tmp_path):
    """tools/misc/make_demo_faces.py, the one command line."""
    out = str(tmp_path / 'cli')
    result = subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'misc', 'make_demo_faces.py'), out,
        '--num-images', '3', '--seed', '1', '--background-ratio', '0',
        '--image-size', '96', '80'
    ], capture_output=True, text=True, check=True)
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary['num_faces'] == 3 and summary['num_backgrounds'] == 0
    assert cv2.imread(osp.join(out, 'Img/img_celeba/000001.jpg')).shape == (
        80, 96, 3)
    assert len(os.listdir(osp.join(out, 'Img/img_celeba'))) == 3
    with open(_anno(out, 'list_backgrounds.txt')) as f:
        assert f.read() == ''


def test_smallest_demo_set_has_every_split(tmp_path):
    info = generate_demo_faces(str(tmp_path), num_images=3)
    assert info['split_sizes'] == dict(train=1, val=1, test=1)
    with open(info['partition_file']) as f:
        assert sorted(line.split()[1] for line in f) == ['0', '1', '2']


@pytest.mark.parametrize('num_images', [1, 2])
def test_too_few_images_for_the_splits(tmp_path, num_images):
    """With 1 or 2 images a split would be empty: a clear error, nothing
    written."""
    with pytest.raises(ValueError, match=r'leaves the train.* split'):
        generate_demo_faces(str(tmp_path / 'd'), num_images=num_images)
    assert not osp.exists(tmp_path / 'd')


def test_a_zero_ratio_split_may_be_empty(tmp_path):
    info = generate_demo_faces(
        str(tmp_path), num_images=2, split_ratios=(0.5, 0.0, 0.5))
    assert info['split_sizes'] == dict(train=1, val=0, test=1)
