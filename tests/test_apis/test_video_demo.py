"""tools/demo/video_demo.py: the shipped model on a short video of
generated faces at known places."""
import json
from typing import List

import cv2
import mmcv
import numpy as np
import pytest

from mcfa_mm.apis import inference_faces

#: The faces of each frame, ``(tile, x, y)``: 1 to 3 faces that move from
#: frame to frame, so that every frame's boxes are its own.
FRAMES = (
    (('000002.jpg', 20, 20), ),
    (('000002.jpg', 170, 100), ('000004.jpg', 330, 10)),
    (('000004.jpg', 10, 180), ('000005.jpg', 180, 30),
     ('000008.jpg', 340, 170)),
    (('000009.jpg', 40, 40), ('000011.jpg', 300, 160)),
    (('000011.jpg', 200, 180), ),
    (('000005.jpg', 0, 0), ('000008.jpg', 176, 96), ('000009.jpg', 352, 192)),
)


@pytest.fixture(scope='module')
def video(compose_faces, tmp_path_factory):
    """6 frames (480 x 320, 5 fps) of :data:`FRAMES`, and the faces of
    each."""
    frames, known = zip(*(compose_faces(layout) for layout in FRAMES))
    path = str(tmp_path_factory.mktemp('video') / 'faces.mp4')
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 5,
                             (width, height))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path, known


def _json_lines(path: str) -> List[dict]:
    with open(path) as file:
        return [json.loads(line) for line in file]


def test_video_every_second_frame(load_script, video, shipped_model,
                                  assert_known_faces, box_drawn, tmp_path,
                                  capsys):
    """The shipped model (no model arguments) on every second frame."""
    path, known = video
    demo = load_script('tools/demo/video_demo.py')
    out, out_json = str(tmp_path / 'out.mp4'), str(tmp_path / 'faces.jsonl')
    assert demo.main([path, '--out', out, '--every', '2',
                      '--out-json', out_json]) == 0
    captured = capsys.readouterr()
    num_frames = len(FRAMES)
    assert f'{num_frames} frames, 3 processed' in captured.out
    assert f'{num_frames}/{num_frames}' in captured.err  # progress bar
    records = _json_lines(out_json)
    assert [r['frame'] for r in records] == [0, 2, 4]
    source = list(mmcv.VideoReader(path))
    for record in records:
        faces = record['faces']
        # the processed frame's own faces (1, 3 and 1), each once
        assert_known_faces([f['bbox'] for f in faces],
                           [f['keypoints'] for f in faces],
                           known[record['frame']])
        # as inference_faces finds them in that frame, best first
        pred = inference_faces(shipped_model,
                               source[record['frame']]).pred_instances
        order = pred.scores.argsort(descending=True)
        np.testing.assert_allclose([f['bbox'] for f in faces],
                                   pred.bboxes[order].numpy(), atol=1e-3)
        np.testing.assert_allclose([f['score'] for f in faces],
                                   pred.scores[order].numpy(), atol=1e-5)
        for face, decisions in zip(faces,
                                   pred.attribute_decisions[order].tolist()):
            assert 'attribute_scores' not in face
            assert list(face['attribute_decisions'].values()) == decisions

    written = mmcv.VideoReader(out)
    assert written.resolution == (480, 320)
    assert written.fps == pytest.approx(5)
    written_frames = list(written)
    assert len(written_frames) == num_frames
    for index, (before, after) in enumerate(zip(source, written_frames)):
        # each frame shows the boxes of the last processed frame: frame 1
        # those of frame 0 (its own faces have moved away from them)
        for face in records[index // 2]['faces']:
            assert box_drawn(after, before, face['bbox']) > 0.5, index


def test_score_threshold_above_every_face(load_script, video, shipped_model,
                                          box_drawn, tmp_path):
    path, _ = video
    demo = load_script('tools/demo/video_demo.py')
    out, out_json = str(tmp_path / 'out.mp4'), str(tmp_path / 'faces.jsonl')
    assert demo.main([path, '--out', out, '--every', '3', '--out-json',
                      out_json, '--score-thr', '1']) == 0
    assert _json_lines(out_json) == [dict(frame=0, faces=[]),
                                     dict(frame=3, faces=[])]
    source = list(mmcv.VideoReader(path))
    for index, (before, after) in enumerate(
            zip(source, mmcv.VideoReader(out))):
        # where the faces found in the last processed frame would be drawn
        pred = inference_faces(shipped_model, source[index // 3 * 3])
        for box in pred.pred_instances.bboxes.tolist():
            assert box_drawn(after, before, box) < 0.1, index


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
