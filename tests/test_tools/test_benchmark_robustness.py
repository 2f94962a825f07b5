"""tools/analysis_tools/benchmark_robustness.py: the large photos it builds
hold the faces where it says, and each subcommand runs at its tiniest size
on a tiny random-weight model (its numbers mean nothing, only that they
are produced) and reports the JSON docs/benchmarks.md reads."""
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mcfa_mm.testing import tiny_mcfa_config


@pytest.fixture(scope='module')
def module(load_tool):
    return load_tool('benchmark_robustness')


@pytest.fixture(scope='module')
def faces(module, fake_roots):
    return module.wild_faces(fake_roots['wild'], 4)


@pytest.fixture(scope='module')
def tiny_config(tmp_path_factory) -> str:
    """A tiny MCFA in cascade mode, as a config file (random weights)."""
    path = str(tmp_path_factory.mktemp('tiny') / 'tiny_cascade.py')
    model = dict(tiny_mcfa_config(), test_cfg=dict(mode='cascade'))
    Config(dict(model=model, default_scope='mmdet')).dump(path)
    return path


def _run(module, fake_roots, tiny_config, tmp_path, *argv) -> dict:
    """``main`` of one subcommand on the tiny model and the generated wild
    layout; checks the JSON file it writes is the report it returns."""
    out = tmp_path / 'report.json'
    report = module.main([
        *argv, '--config', tiny_config, '--wild-root', fake_roots['wild'],
        '--out', str(out)
    ])
    assert {'date', 'cpu_model', 'PyTorch'} <= set(report['machine'])
    assert out.read_text().strip().startswith('{')
    return report


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


def test_box_agreement_matches_full_decode_boxes(module):
    full = [[[0., 0., 100., 100.], [200., 200., 260., 260.]]]
    reduced = [[[2., 0., 100., 100.]]]  # the second face missed
    agreement = module.box_agreement(reduced, full)
    assert agreement['boxes_full'] == 2 and agreement['matched'] == 1
    assert agreement['mean_iou'] == pytest.approx(0.98)
    assert agreement['max_shift'] == pytest.approx(0.02)


def test_large(module, fake_roots, tiny_config, tmp_path):
    report = _run(module, fake_roots, tiny_config, tmp_path, 'large',
                  '--megapixels', '0.05', '--max-pyramid-side', '200',
                  '--compare-decode', '--same-process')
    assert 'random weights' in report['warning']
    assert report['test_cfg']['max_pyramid_side'] == 200
    photo, = report['photos']
    assert photo['megapixels'] == pytest.approx(0.05, abs=0.01)
    assert photo['faces_placed'] == 6 and photo['decode_factor'] == 1
    assert 0 <= photo['placed_found'] <= 6
    assert photo['peak_rss_mb'] >= photo['rss_before_mb'] > 50
    assert photo['full_decode']['peak_rss_mb'] > 50
    assert photo['box_agreement']['boxes_full'] == \
        photo['full_decode']['detections']


def test_hostile(module, fake_roots, tiny_config, tmp_path):
    """The bomb alone (the 12 / 48 MP photos are the same demo run on
    larger files): refused by the loader and by the demo."""
    report = _run(module, fake_roots, tiny_config, tmp_path, 'hostile',
                  '--photos')
    assert report['inputs']['bomb']['bytes'] < 2e6
    loader = report['loader']['bomb']
    assert loader['refused'] and 'max_image_pixels' in loader['error']
    assert loader['grown_mb'] < 100 and loader['seconds'] < 5
    demo = report['demo']
    assert demo['warmup_only']['returncode'] == 0
    assert demo['bomb']['refused'] and demo['bomb']['returncode'] == 1
    assert demo['bomb']['seconds'] is not None
    assert demo['bomb']['peak_rss_mb'] > 50
    assert {'meets', 'target_seconds', 'target_mb'} <= set(demo['bomb'])


def test_soak(module, fake_roots, tiny_config, tmp_path):
    report = _run(module, fake_roots, tiny_config, tmp_path, 'soak',
                  '--mode', 'both', '--limit', '2', '--passes', '2',
                  '--frames', '6', '--video-size', '96', '64',
                  '--video-photos', '1', '--sample-every', '0.05')
    photos = report['photos']
    assert photos['photos'] == 2 and len(photos['passes']) == 2
    assert photos['errors'] == 0
    assert photos['passes'][1]['rss_mb'] > 50
    assert set(photos['passes'][1]['seconds_per_photo']) == {
        'mean', 'median', 'p95', 'max'}
    assert photos['rss_growth_last_two_passes'] is not None
    video = report['video']
    assert video['returncode'] == 0, video.get('log_tail')
    assert video['frames_out'] == 6 and video['video']['frames'] == 6
    assert video['peak_rss_mb'] > 50 and video['samples'] > 0
    assert isinstance(report['ok'], bool)
    with pytest.raises(SystemExit, match='--passes'):
        module.main(['soak', '--passes', '1'])


def test_search_counts_placed_faces_in_the_original_pixels(module,
                                                            tiny_config,
                                                            faces, tmp_path):
    """Boxes come back in the photo's pixels, matched to the placed faces;
    an unreadable file is an error of its pass, not of the soak."""
    image, boxes = module.large_photo(faces, 0.05)
    path = str(tmp_path / 'photo.jpg')
    module.save_jpeg(path, image)
    bad = str(tmp_path / 'bad.jpg')
    with open(bad, 'wb') as file:
        file.write(b'not a jpeg')
    torch.manual_seed(0)
    result = module.search(tiny_config, None, [path, bad], [boxes, boxes],
                           passes=2, fresh=False)
    assert len(result['passes']) == 2
    run = result['passes'][0]
    assert len(run['seconds']) == 2 and run['bboxes'][1] == []
    assert len(run['errors']) == 1 and 'bad.jpg' in run['errors'][0]
    assert run['VmHWM'] >= run['VmRSS'] > 50
