"""tools/analysis_tools/benchmark_large_photos.py: the photos it builds hold
the faces where it says, and the script runs end to end (random weights:
its numbers mean nothing, only that they are produced)."""
import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO_ROOT, repo_config

CONFIG = repo_config('mcfa', 'mcfa_vgg16-w025-128px_cascade_wild.py')


@pytest.fixture(scope='module')
def module(load_tool):
    return load_tool('benchmark_large_photos')


@pytest.fixture(scope='module')
def faces(module, fake_roots):
    return module.wild_faces(fake_roots['wild'], 4)


def test_large_photo_size_and_face_boxes(module, faces):
    image, boxes = module.large_photo(faces, 0.3)
    height, width = image.shape[:2]
    assert width / height == pytest.approx(4 / 3, abs=0.01)
    assert width * height == pytest.approx(0.3e6, rel=0.01)
    sides = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    # one face per fraction of the shorter side, all inside the photo
    np.testing.assert_allclose(sides, [
        int(f * height) for f in module.FACE_FRACTIONS], atol=1)
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= width).all()
    assert (boxes[:, 3] <= height).all()


def test_pasted_face_is_the_labelled_face(module, faces):
    """The box reported in the canvas holds the source's face, resized."""
    import cv2
    source, box = faces[0]
    patch, inner = module.face_patch(source, box, 60)
    assert inner[2] - inner[0] == pytest.approx(60 * (box[2] - box[0]) / max(
        box[2] - box[0], box[3] - box[1]))
    canvas = np.zeros((300, 400, 3), np.uint8)
    placed = module.paste(canvas, [faces[0]], [60], [(50, 40)])[0]
    x1, y1, x2, y2 = np.round(placed).astype(int)
    bx1, by1, bx2, by2 = np.round(box).astype(int)
    expected = cv2.resize(source[by1:by2, bx1:bx2], (x2 - x1, y2 - y1))
    diff = np.abs(canvas[y1:y2, x1:x2].astype(float) - expected)
    assert diff.mean() < 12  # resampling; a shifted box is far off


def test_group_photo_has_every_face_once(module, faces):
    image, boxes = module.group_photo(faces, 7)
    assert len(boxes) == 7
    from mmdet.structures.bbox import bbox_overlaps
    import torch
    overlaps = bbox_overlaps(torch.as_tensor(boxes), torch.as_tensor(boxes))
    assert (overlaps - torch.eye(7)).abs().max() < 1e-6  # no overlaps


def test_script_end_to_end(fake_roots, tmp_path):
    out, png = tmp_path / 'large.json', tmp_path / 'large.png'
    result = subprocess.run(
        [sys.executable, 'tools/analysis_tools/benchmark_large_photos.py',
         CONFIG, 'none', '--megapixels', '0.05', '--wild-root',
         fake_roots['wild'], '--max-pyramid-side', '200', '--group', '3',
         '--wild-upscaled', '1', '--wild-scale', '2', '--same-process',
         '--out', str(out),
         '--plot', str(png)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(out.read_text())
    assert 'random weights' in report['warning']
    assert report['test_cfg']['max_pyramid_side'] == 200
    photo, = report['photos']
    assert photo['megapixels'] == pytest.approx(0.05, abs=0.01)
    assert photo['faces_placed'] == 6
    assert 0 <= photo['placed_found'] <= 6
    assert photo['peak_rss_mb'] >= photo['rss_before_mb'] > 50
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert report['group']['faces_placed'] == 3
    wild = report['wild_upscaled']
    assert wild['photos'] == 1 and wild['scale'] == 2
    assert {'bounded', 'unbounded'} <= set(wild)
