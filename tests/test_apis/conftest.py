"""Fixtures of the API and demo tests: photos of generated faces at known
places, checks that predictions find exactly those faces, and a tiny model
zoo that stands in for the shipped model where the test is about plumbing
rather than faces (``load_script``, which imports the demo scripts, comes
from tests/conftest.py)."""
import os
import os.path as osp
from typing import Callable, Dict, List, Sequence, Tuple

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.fileio import dump

from mcfa_mm.apis import DEFAULT_MODEL, init_face_model, model_zoo
from mcfa_mm.datasets import parse_bbox_file, parse_landmark_file
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
    returns exactly 3 faces on any photo with a proposal: right for tests
    of batching, files and arguments, useless for tests of finding faces
    (those use the shipped model on :func:`face_photo`).
    """
    root = str(tmp_path_factory.mktemp('zoo'))
    cfg = tiny_mcfa_config(input_size=64)
    cfg['test_cfg'] = dict(
        mode='crop',
        cascade=dict(min_face_size=16, thresholds=(0.0, 0.0, 0.0),
                     max_per_img=3, max_proposals=20))
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


#: Generated faces (``demo_data_root``, seed 0) that the shipped model
#: finds: 128 x 128 tiles with one face each, its box and landmarks known.
FOUND_TILES = ('000002.jpg', '000004.jpg', '000005.jpg', '000008.jpg',
               '000009.jpg', '000011.jpg')
#: (tile, x, y): where :func:`face_photo` pastes three of them.
PHOTO_LAYOUT = (('000002.jpg', 10, 20), ('000004.jpg', 180, 150),
                ('000005.jpg', 340, 40))
KnownFaces = Tuple[np.ndarray, np.ndarray]


@pytest.fixture(scope='session')
def shipped_model() -> torch.nn.Module:
    """The shipped default model (checkpoints/) in cascade mode, on the
    CPU: the reference the demos' output is compared with."""
    return init_face_model(device='cpu')


@pytest.fixture(scope='session')
def compose_faces(
        demo_data_root
) -> Callable[[Sequence[Tuple[str, int, int]]], Tuple[np.ndarray,
                                                       KnownFaces]]:
    """``compose_faces([(tile, x, y), ...])``: a 480 x 320 grey photo with
    those generated faces (of :data:`FOUND_TILES`) pasted at ``(x, y)``,
    and the faces it holds: boxes ``(N, 4)`` ``x1, y1, x2, y2`` and
    landmarks ``(N, 5, 2)`` in the photo's pixels."""
    anno = osp.join(demo_data_root, 'Anno')
    boxes = parse_bbox_file(osp.join(anno, 'list_bbox_celeba.txt'))
    landmarks = parse_landmark_file(
        osp.join(anno, 'list_landmarks_celeba.txt'))

    def compose(layout):
        photo = np.full((320, 480, 3), 128, np.uint8)
        known_boxes, known_points = [], []
        for tile, x, y in layout:
            assert tile in FOUND_TILES, f'{tile}: not known to be found'
            photo[y:y + 128, x:x + 128] = mmcv.imread(
                osp.join(demo_data_root, 'Img', 'img_celeba', tile))
            bx, by, bw, bh = boxes[tile]
            known_boxes.append([bx + x, by + y, bx + bw + x, by + bh + y])
            known_points.append(landmarks[tile] + (x, y))
        return photo, (np.array(known_boxes, np.float64).reshape(-1, 4),
                       np.array(known_points, np.float64).reshape(-1, 5, 2))

    return compose


@pytest.fixture(scope='session')
def face_photo(compose_faces, tmp_path_factory) -> Tuple[str, KnownFaces]:
    """A PNG of 3 generated faces (:data:`PHOTO_LAYOUT`) and its faces."""
    photo, known = compose_faces(PHOTO_LAYOUT)
    path = str(tmp_path_factory.mktemp('face_photo') / 'three_faces.png')
    mmcv.imwrite(photo, path)
    return path, known


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two ``x1, y1, x2, y2`` boxes."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) +
                    (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.fixture(scope='session')
def assert_known_faces() -> Callable[[Sequence, Sequence, KnownFaces],
                                     List[int]]:
    """``assert_known_faces(boxes, keypoints, known)`` asserts that the
    predicted faces are the known ones: as many, each box on its own known
    face (IoU at least 0.5) and each landmark within a quarter of that
    face's width of the known one. Returns the known face of each."""

    def check(boxes, keypoints, known):
        known_boxes, known_points = known
        assert len(boxes) == len(keypoints) == len(known_boxes), (
            f'{len(boxes)} faces predicted, {len(known_boxes)} in the photo')
        matches = []
        for box, points in zip(boxes, keypoints):
            ious = [_iou(np.asarray(box), k) for k in known_boxes]
            best = int(np.argmax(ious))
            assert ious[best] >= 0.5, f'box {box} is on no face: IoU {ious}'
            error = np.linalg.norm(np.asarray(points) - known_points[best],
                                   axis=1)
            width = known_boxes[best][2] - known_boxes[best][0]
            assert (error < 0.25 * width).all(), (points, known_points[best])
            matches.append(best)
        assert sorted(matches) == list(range(len(known_boxes))), matches
        return matches

    return check


@pytest.fixture(scope='session')
def box_drawn() -> Callable[[np.ndarray, np.ndarray, Sequence[float]],
                            float]:
    """``box_drawn(picture, photo, box)``: the share of the pixels on the
    box's outline that the picture paints green (``BOX_COLOR``) and the
    photo does not: about 1 where the box is drawn, about 0 where not."""

    def share(picture, photo, box):
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        outline = np.concatenate([
            np.stack([np.arange(x1, x2 + 1), np.full(x2 - x1 + 1, y)], 1)
            for y in (y1, y2)
        ] + [
            np.stack([np.full(y2 - y1 + 1, x), np.arange(y1, y2 + 1)], 1)
            for x in (x1, x2)
        ])
        xs = np.clip(outline[:, 0], 0, photo.shape[1] - 1)
        ys = np.clip(outline[:, 1], 0, photo.shape[0] - 1)

        def green(image):
            pixels = image[ys, xs].astype(int)
            return pixels[:, 1] - pixels[:, [0, 2]].max(1)

        return float(np.mean(green(picture) - green(photo) > 60))

    return share
