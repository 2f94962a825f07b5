"""tools/demo/image_demo.py: the shipped model on photos of generated faces
at known places (a tiny model where only the command line is tested)."""
import json
import os.path as osp
import re
from typing import Dict, List

import mmcv
import numpy as np
import pytest

from mcfa_mm.apis import inference_faces

DEMO = 'tools/demo/image_demo.py'
#: One face as ``format_faces`` prints it: box, score, landmarks,
#: attributes and the attributes decided present.
PRINTED_FACE = re.compile(
    r'^  face (\d+): box \[([-\d., ]+)\] score ([\d.]+)\n'
    r'    landmarks: (.*)\n    attributes: (.*)\n    present: (.*)$',
    re.MULTILINE)


@pytest.fixture(scope='module')
def demo(load_script):
    return load_script(DEMO)


@pytest.fixture
def photos(compose_faces, tmp_path):
    """3 good photos of 3, 1 and 2 known faces (one in a sub-folder), a
    corrupt and an empty image file, and a text file that is no image.

    Returns:
        tuple: The folder and ``{relative path: known faces}``.
    """
    folder = tmp_path / 'photos'
    (folder / 'sub').mkdir(parents=True)
    layouts = {
        'a.jpg': [('000002.jpg', 10, 20), ('000004.jpg', 180, 150),
                  ('000005.jpg', 340, 40)],
        'b.JPG': [('000008.jpg', 200, 100)],
        'sub/c.png': [('000009.jpg', 40, 150), ('000011.jpg', 300, 30)],
    }
    known = {}
    for name, layout in layouts.items():
        photo, known[name] = compose_faces(layout)
        assert mmcv.imwrite(photo, str(folder / name))
    (folder / 'corrupt.jpg').write_bytes(b'\xff\xd8 not really a jpeg')
    (folder / 'empty.png').write_bytes(b'')
    (folder / 'notes.txt').write_text('not an image')
    return folder, known


def _json_lines(out_dir: str) -> List[dict]:
    with open(osp.join(out_dir, 'faces.jsonl')) as f:
        return [json.loads(line) for line in f]


def _printed(out: str, path: str) -> List[dict]:
    """The faces printed for ``path``: as many as its header says."""
    header, _, rest = out[out.index(f'{path}: '):].partition('\n')
    count = int(re.fullmatch(r'.*: (\d+) faces?', header)[1])
    lines = []
    for line in rest.splitlines():
        if not line.startswith('  '):
            break
        lines.append(line)
    faces = []
    for match in PRINTED_FACE.finditer('\n'.join(lines)):
        points = re.findall(r'(\w+) \(([-\d.]+), ([-\d.]+)\)', match[4])
        faces.append(
            dict(index=int(match[1]),
                 bbox=[float(v) for v in match[2].split(', ')],
                 score=float(match[3]),
                 landmark_names=[name for name, _, _ in points],
                 keypoints=[[float(x), float(y)] for _, x, y in points],
                 attributes=[(name, float(p)) for name, p in re.findall(
                     r'(\w+) ([\d.]+)', match[5])],
                 present=match[6]))
    assert len(lines) == 4 * count, (header, lines)
    assert [f['index'] for f in faces] == list(range(1, count + 1))
    return faces


def _reference(model, path: str, topk: int) -> List[Dict]:
    """What ``inference_faces`` finds in ``path``, best first, with the
    ``topk`` most likely attributes and those decided present."""
    pred = inference_faces(model, path).pred_instances
    names = model.dataset_meta['attribute_names']
    faces = []
    for i in pred.scores.argsort(descending=True).tolist():
        scores = pred.attribute_scores[i].tolist()
        top = sorted(range(len(names)), key=lambda j: -scores[j])[:topk]
        faces.append(
            dict(bbox=pred.bboxes[i].tolist(),
                 score=float(pred.scores[i]),
                 keypoints=pred.keypoints[i].tolist(),
                 attributes=[(names[j], scores[j]) for j in top],
                 present=[names[j] for j, yes in enumerate(
                     pred.attribute_decisions[i].tolist()) if yes]))
    return faces


def test_prints_and_logs_each_face_of_the_photo(demo, face_photo,
                                                shipped_model,
                                                assert_known_faces, box_drawn,
                                                tmp_path, capsys):
    """The shipped model (no model arguments) on a photo of 3 faces."""
    path, known = face_photo
    out_dir = str(tmp_path / 'out')
    assert demo.main([path, '--out-dir', out_dir, '--topk', '3']) == 0
    out = capsys.readouterr().out
    assert f'{path}: 3 faces\n' in out
    assert '1 images, 3 faces, 0 failed' in out
    printed = _printed(out, path)
    # each face found once, at its place, landmarks on its own face
    assert_known_faces([f['bbox'] for f in printed],
                       [f['keypoints'] for f in printed], known)
    scores = [f['score'] for f in printed]
    assert scores == sorted(scores, reverse=True) and min(scores) > 0.3
    # each face's numbers are those inference_faces finds for it
    reference = _reference(shipped_model, path, topk=3)
    assert len(reference) == 3
    for face, ref in zip(printed, reference):
        assert face['landmark_names'] == [
            'left_eye', 'right_eye', 'nose', 'left_mouth', 'right_mouth']
        np.testing.assert_allclose(face['bbox'], ref['bbox'], atol=0.06)
        np.testing.assert_allclose(face['keypoints'], ref['keypoints'],
                                   atol=0.06)
        assert face['score'] == pytest.approx(ref['score'], abs=6e-4)
        assert [n for n, _ in face['attributes']] == [
            n for n, _ in ref['attributes']]
        np.testing.assert_allclose([p for _, p in face['attributes']],
                                   [p for _, p in ref['attributes']],
                                   atol=6e-3)
        assert face['present'] == (', '.join(ref['present']) or '-')
    # the faces' attributes differ: a face given another's would show
    assert len({tuple(f['attributes']) for f in printed}) == 3

    (record, ) = _json_lines(out_dir)
    assert record['image'] == path
    assert [f['bbox'] for f in record['faces']] == [
        f['bbox'] for f in printed]
    assert [f['keypoints'] for f in record['faces']] == [
        f['keypoints'] for f in printed]
    for face, ref in zip(record['faces'], reference):
        assert face['score'] == pytest.approx(ref['score'], abs=1e-4)
        assert [tuple(a) for a in face['attributes']] == [
            (n, round(p, 4)) for n, p in ref['attributes']]
        assert [n for n, yes in face['attribute_decisions'].items()
                if yes] == ref['present']
    # the picture: each face's box drawn where the JSON has it
    drawn = mmcv.imread(record['vis'])
    photo = mmcv.imread(path)
    assert record['vis'] == osp.join(out_dir, 'vis', osp.basename(path))
    assert drawn.shape == photo.shape
    for face in record['faces']:
        assert box_drawn(drawn, photo, face['bbox']) > 0.8


def test_score_threshold_decides_the_faces(demo, face_photo, shipped_model,
                                           box_drawn, tmp_path, capsys):
    path, _ = face_photo
    reference = _reference(shipped_model, path, topk=5)
    scores = [f['score'] for f in reference]
    threshold = (max(scores) + min(scores)) / 2
    kept = [f for f in reference if f['score'] > threshold]
    assert 1 <= len(kept) < len(reference)  # a threshold between faces
    out_dir = str(tmp_path / 'some')
    assert demo.main([path, '--out-dir', out_dir, '--pred-score-thr',
                      repr(threshold)]) == 0
    printed = _printed(capsys.readouterr().out, path)
    np.testing.assert_allclose([f['bbox'] for f in printed],
                               [f['bbox'] for f in kept], atol=0.06)
    (record, ) = _json_lines(out_dir)
    assert len(record['faces']) == len(kept)

    # above every score: no face printed, logged or drawn
    out_dir = str(tmp_path / 'none')
    assert demo.main([path, '--out-dir', out_dir, '--score-thr', '1']) == 0
    out = capsys.readouterr().out
    assert f'{path}: 0 faces\n' in out
    assert '1 images, 0 faces, 0 failed' in out
    (record, ) = _json_lines(out_dir)
    assert record['faces'] == []
    drawn, photo = mmcv.imread(record['vis']), mmcv.imread(path)
    for face in reference:
        assert box_drawn(drawn, photo, face['bbox']) < 0.1


def test_folder_reports_bad_files_and_goes_on(demo, photos,
                                              assert_known_faces, tmp_path,
                                              capsys):
    folder, known = photos
    out_dir = str(tmp_path / 'out')
    assert demo.main([str(folder), '--out-dir', out_dir]) == 1
    captured = capsys.readouterr()
    failed = [line for line in captured.out.splitlines()
              if line.startswith('FAILED')]
    assert len(failed) == 2
    assert any(osp.join(str(folder), 'corrupt.jpg') in line for line in failed)
    assert any('empty.png: empty file' in line for line in failed)
    assert '5 images, 6 faces, 2 failed' in captured.out  # 3 + 1 + 2
    assert '5/5' in captured.err  # the progress bar, on stderr
    records = _json_lines(out_dir)
    assert [osp.relpath(r['image'], folder) for r in records] == [
        'a.jpg', 'b.JPG', 'corrupt.jpg', 'empty.png', 'sub/c.png']
    assert [('error' in r) for r in records] == [False, False, True, True,
                                                 False]
    for record in records:
        name = osp.relpath(record['image'], folder)
        if name in known:  # each photo's own faces, in its own record
            assert_known_faces([f['bbox'] for f in record['faces']],
                               [f['keypoints'] for f in record['faces']],
                               known[name])
            assert len(_printed(captured.out, record['image'])) == len(
                known[name][0])
            assert osp.isfile(osp.join(out_dir, 'vis', name))


def test_glob_and_usage_errors(demo, photos, tmp_path, capsys):
    folder, _ = photos
    out_dir = str(tmp_path / 'out')
    assert demo.main([str(folder / '**' / '*.png'), '--out-dir',
                      out_dir]) == 1  # sub/c.png (2 faces) and empty.png
    assert '2 images, 2 faces, 1 failed' in capsys.readouterr().out
    assert demo.main([str(folder / '*.gif'), '--out-dir', out_dir]) == 2
    assert 'no images found' in capsys.readouterr().err
    # a missing single file is a failed image, named
    assert demo.main([str(folder / 'gone.jpg'), '--out-dir', out_dir]) == 1
    assert 'gone.jpg: file not found' in capsys.readouterr().out


def test_model_errors_exit_2(demo, shipped_tiny, photos, tmp_path, capsys):
    folder, _ = photos
    args = [str(folder / 'a.jpg'), '--out-dir', str(tmp_path / 'out')]
    assert demo.main(args + ['--config', 'no-weights']) == 2
    assert 'missing.pth' in capsys.readouterr().err
    with pytest.raises(SystemExit) as error:
        demo.main(args + ['--mode', 'sideways'])
    assert error.value.code == 2


def test_positional_config_and_checkpoint(demo, tiny_zoo, photos, tmp_path,
                                          capsys, monkeypatch):
    """The CLI of before the model zoo: IMAGE CONFIG CHECKPOINT."""
    folder, _ = photos
    out_file = str(tmp_path / 'drawn.jpg')
    monkeypatch.chdir(tmp_path)
    assert demo.main([str(folder / 'a.jpg'), tiny_zoo['config'],
                      tiny_zoo['checkpoint'], '--mode', 'crop',
                      '--pred-score-thr', '0', '--out-file', out_file]) == 0
    assert ': 1 face\n' in capsys.readouterr().out  # crop: one face
    assert osp.isfile(out_file)
    (record, ) = _json_lines(str(tmp_path / 'outputs'))
    # the tiny model's attributes: the positional model was used, not the
    # shipped one (40 CelebA attributes)
    (face, ) = record['faces']
    assert list(face['attribute_decisions']) == list(tiny_zoo['names'])
