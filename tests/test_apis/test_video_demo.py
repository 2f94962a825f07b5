"""tools/demo/video_demo.py on a short video of generated faces."""
import glob
import json

import cv2
import mmcv
import numpy as np
import pytest

NUM_FRAMES = 6


@pytest.fixture(scope='module')
def video(demo_data_root, tmp_path_factory):
    """6 frames (128 x 128, 5 fps), each a different generated face."""
    faces = sorted(glob.glob(f'{demo_data_root}/Img/img_celeba/*.jpg'))
    frames = [mmcv.imread(p) for p in faces[:NUM_FRAMES]]
    path = str(tmp_path_factory.mktemp('video') / 'faces.mp4')
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 5,
                             (width, height))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def test_video_every_second_frame(load_script, shipped_tiny, video,
                                  tmp_path, capsys):
    demo = load_script('tools/demo/video_demo.py')
    out, out_json = str(tmp_path / 'out.mp4'), str(tmp_path / 'faces.jsonl')
    assert demo.main([video, '--out', out, '--every', '2',
                      '--out-json', out_json]) == 0
    captured = capsys.readouterr()
    assert f'{NUM_FRAMES} frames, 3 processed' in captured.out
    assert f'{NUM_FRAMES}/{NUM_FRAMES}' in captured.err  # progress bar
    records = [json.loads(line) for line in open(out_json)]
    assert [r['frame'] for r in records] == [0, 2, 4]
    # the tiny zoo's cascade keeps 3 faces per photo
    assert all(len(r['faces']) == 3 for r in records)
    assert all(len(f['keypoints']) == 5 for r in records for f in r['faces'])

    source, written = mmcv.VideoReader(video), mmcv.VideoReader(out)
    assert written.resolution == source.resolution
    assert written.fps == pytest.approx(source.fps)
    written_frames = list(written)
    assert len(written_frames) == NUM_FRAMES
    for before, after in zip(source, written_frames):
        # boxes and landmarks are drawn on every frame
        assert np.abs(after.astype(int) - before).max() > 100


def test_bad_video_and_bad_every(load_script, shipped_tiny, tmp_path,
                                 capsys):
    demo = load_script('tools/demo/video_demo.py')
    out = str(tmp_path / 'out.mp4')
    assert demo.main([str(tmp_path / 'gone.mp4'), '--out', out]) == 2
    assert 'gone.mp4: video file not found' in capsys.readouterr().err
    junk = tmp_path / 'junk.mp4'
    junk.write_bytes(b'no video in here')
    assert demo.main([str(junk), '--out', out]) == 2
    assert 'junk.mp4: not a video' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        demo.main([str(junk), '--out', out, '--every', '0'])
