"""inference_faces: batches, image ids and unreadable files."""
import glob

import mmcv
import pytest
import torch

from mcfa_mm.apis import inference_faces, init_face_model
from mcfa_mm.utils import FaceImageError


@pytest.fixture(scope='module')
def crop_model(tiny_zoo):
    return init_face_model(tiny_zoo['config'], tiny_zoo['checkpoint'],
                           mode='crop')


@pytest.fixture(scope='module')
def face_paths(demo_data_root):
    return sorted(glob.glob(f'{demo_data_root}/Img/img_celeba/*.jpg'))[:5]


def test_crop_batch_of_several_images(crop_model, face_paths):
    images = [mmcv.imread(p) for p in face_paths]
    # 5 images in batches of 2: two full batches and a partial one
    results = inference_faces(crop_model, images, batch_size=2)
    assert [r.metainfo['img_id'] for r in results] == [0, 1, 2, 3, 4]
    for image, result in zip(images, results):
        alone = inference_faces(crop_model, image).pred_instances
        pred = result.pred_instances
        assert len(pred) == 1
        assert result.metainfo['ori_shape'] == image.shape[:2]
        # each result is its own image's (eval mode: batch-independent)
        torch.testing.assert_close(pred.bboxes, alone.bboxes)
        torch.testing.assert_close(pred.keypoints, alone.keypoints)
        torch.testing.assert_close(pred.attribute_scores,
                                   alone.attribute_scores)
    # different images, different answers: the comparison above can fail
    assert not torch.allclose(results[0].pred_instances.attribute_scores,
                              results[1].pred_instances.attribute_scores)


def test_paths_read_like_arrays(crop_model, face_paths):
    from_paths = inference_faces(crop_model, face_paths[:3], batch_size=3)
    from_arrays = inference_faces(
        crop_model, [mmcv.imread(p) for p in face_paths[:3]])
    for path, a, b in zip(face_paths, from_paths, from_arrays):
        assert a.metainfo['img_path'] == path
        torch.testing.assert_close(a.pred_instances.bboxes,
                                   b.pred_instances.bboxes)


def test_cascade_batch_keeps_image_ids(tiny_zoo, face_paths):
    model = init_face_model(tiny_zoo['config'], tiny_zoo['checkpoint'],
                            mode='cascade')
    results = inference_faces(model, face_paths[:3])
    assert [r.metainfo['img_id'] for r in results] == [0, 1, 2]
    assert all(len(r.pred_instances) == 3 for r in results)


@pytest.mark.parametrize('content, problem', [
    (None, 'file not found'),
    (b'', 'empty file'),
    (b'not an image at all', 'not a'),
])
def test_unreadable_file_raises_face_image_error(crop_model, tmp_path,
                                                 content, problem):
    path = tmp_path / 'bad.jpg'
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(FaceImageError, match=f'bad.jpg: {problem}'):
        inference_faces(crop_model, str(path))


def test_truncated_jpeg_raises(crop_model, face_paths, tmp_path):
    data = open(face_paths[0], 'rb').read()
    path = tmp_path / 'cut.jpg'
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(FaceImageError, match='cut.jpg: truncated JPEG'):
        inference_faces(crop_model, [face_paths[1], str(path)])
