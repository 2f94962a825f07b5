"""tools/demo/image_demo.py on generated photos with a tiny model."""
import glob
import json
import os.path as osp
import re
import shutil

import mmcv
import numpy as np
import pytest

DEMO = 'tools/demo/image_demo.py'


@pytest.fixture(scope='module')
def demo(load_script):
    return load_script(DEMO)


@pytest.fixture
def photos(demo_data_root, tmp_path):
    """3 good photos (one in a sub-folder), a corrupt and an empty .jpg,
    and a text file that is no image."""
    faces = sorted(glob.glob(f'{demo_data_root}/Img/img_celeba/*.jpg'))
    folder = tmp_path / 'photos'
    (folder / 'sub').mkdir(parents=True)
    shutil.copy(faces[0], folder / 'a.jpg')
    shutil.copy(faces[1], folder / 'b.JPG')
    shutil.copy(faces[2], folder / 'sub' / 'c.png')
    (folder / 'corrupt.jpg').write_bytes(b'\xff\xd8 not really a jpeg')
    (folder / 'empty.png').write_bytes(b'')
    (folder / 'notes.txt').write_text('not an image')
    return folder


def _json_lines(out_dir):
    with open(osp.join(out_dir, 'faces.jsonl')) as f:
        return [json.loads(line) for line in f]


def test_one_photo_with_the_shipped_model(demo, shipped_tiny, photos,
                                          tmp_path, capsys):
    out_dir = str(tmp_path / 'out')
    path = str(photos / 'a.jpg')
    assert demo.main([path, '--out-dir', out_dir, '--topk', '3']) == 0
    out = capsys.readouterr().out
    # the tiny zoo's cascade keeps 3 faces (max_per_img), each printed
    assert f'{path}: 3 faces' in out
    assert len(re.findall(r'face \d: box \[[-\d., ]+\] score', out)) == 3
    assert len(re.findall(
        r'landmarks: left_eye \([-\d.]+, [-\d.]+\) right_eye .* '
        r'right_mouth \(', out)) == 3
    names = '|'.join(shipped_tiny['names'])
    assert len(re.findall(
        rf'attributes: ({names}) [\d.]+, ({names}) [\d.]+, ({names}) '
        r'[\d.]+\n', out)) == 3
    assert '1 images, 3 faces, 0 failed' in out
    (record, ) = _json_lines(out_dir)
    assert record['image'] == path and len(record['faces']) == 3
    for face in record['faces']:
        assert len(face['bbox']) == 4 and len(face['keypoints']) == 5
        assert len(face['attributes']) == 3
    # the annotated picture: same size as the photo, with drawing on it
    drawn = mmcv.imread(osp.join(out_dir, 'vis', 'a.jpg'))
    photo = mmcv.imread(path)
    assert drawn.shape == photo.shape
    assert np.abs(drawn.astype(int) - photo).max() > 100


def test_folder_reports_bad_files_and_goes_on(demo, shipped_tiny, photos,
                                              tmp_path, capsys):
    out_dir = str(tmp_path / 'out')
    assert demo.main([str(photos), '--out-dir', out_dir]) == 1
    captured = capsys.readouterr()
    failed = [line for line in captured.out.splitlines()
              if line.startswith('FAILED')]
    assert len(failed) == 2
    assert any(osp.join(str(photos), 'corrupt.jpg') in line for line in failed)
    assert any('empty.png: empty file' in line for line in failed)
    assert '5 images, 9 faces, 2 failed' in captured.out
    assert '5/5' in captured.err  # the progress bar, on stderr
    records = _json_lines(out_dir)
    assert [osp.relpath(r['image'], photos) for r in records] == [
        'a.jpg', 'b.JPG', 'corrupt.jpg', 'empty.png', 'sub/c.png']
    assert [('error' in r) for r in records] == [False, False, True, True,
                                                 False]
    for name in ('a.jpg', 'b.JPG', 'sub/c.png'):
        assert osp.isfile(osp.join(out_dir, 'vis', name))


def test_glob_and_usage_errors(demo, shipped_tiny, photos, tmp_path, capsys):
    out_dir = str(tmp_path / 'out')
    assert demo.main([str(photos / '**' / '*.png'), '--out-dir',
                      out_dir]) == 1  # sub/c.png and empty.png
    assert '2 images, 3 faces, 1 failed' in capsys.readouterr().out
    assert demo.main([str(photos / '*.gif'), '--out-dir', out_dir]) == 2
    assert 'no images found' in capsys.readouterr().err
    # a missing single file is a failed image, named
    assert demo.main([str(photos / 'gone.jpg'), '--out-dir', out_dir]) == 1
    assert 'gone.jpg: file not found' in capsys.readouterr().out


def test_model_errors_exit_2(demo, shipped_tiny, photos, tmp_path, capsys):
    args = [str(photos / 'a.jpg'), '--out-dir', str(tmp_path / 'out')]
    assert demo.main(args + ['--config', 'no-weights']) == 2
    assert 'missing.pth' in capsys.readouterr().err
    with pytest.raises(SystemExit) as error:
        demo.main(args + ['--mode', 'sideways'])
    assert error.value.code == 2


def test_positional_config_and_checkpoint(demo, tiny_zoo, photos, tmp_path,
                                          capsys, monkeypatch):
    """The CLI of before the model zoo: IMAGE CONFIG CHECKPOINT."""
    out_file = str(tmp_path / 'drawn.jpg')
    monkeypatch.chdir(tmp_path)
    assert demo.main([str(photos / 'a.jpg'), tiny_zoo['config'],
                      tiny_zoo['checkpoint'], '--mode', 'crop',
                      '--pred-score-thr', '0', '--out-file', out_file]) == 0
    assert ': 1 face\n' in capsys.readouterr().out  # crop: one face
    assert osp.isfile(out_file)
    assert osp.isfile(tmp_path / 'outputs' / 'faces.jsonl')
