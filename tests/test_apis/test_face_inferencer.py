"""FaceInferencer: inputs of every kind, batches, pictures and JSON files."""
import glob
import json
import os.path as osp
import shutil

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mcfa_mm.apis import FaceInferencer
from mcfa_mm.datasets import CELEBA_ATTRIBUTES
from mcfa_mm.utils import FaceImageError
from mmdet.structures import DetDataSample


def _tiny_inferencer(tiny_zoo: dict, mode: str) -> FaceInferencer:
    return FaceInferencer(tiny_zoo['config'], tiny_zoo['checkpoint'],
                          device='cpu', mode=mode, show_progress=False)


@pytest.fixture(scope='module')
def crop_inferencer(tiny_zoo):
    """The tiny model in crop mode: one face per image, batched."""
    return _tiny_inferencer(tiny_zoo, 'crop')


@pytest.fixture(scope='module')
def cascade_inferencer(tiny_zoo):
    """The tiny model in cascade mode: 3 faces per photo (its config)."""
    return _tiny_inferencer(tiny_zoo, 'cascade')


@pytest.fixture
def photo_folder(demo_data_root, tmp_path):
    """5 generated faces, one in a sub-folder, and a file that is no
    image (not listed: wrong extension)."""
    faces = sorted(glob.glob(f'{demo_data_root}/Img/img_celeba/*.jpg'))[:5]
    folder = tmp_path / 'photos'
    (folder / 'sub').mkdir(parents=True)
    for index, face in enumerate(faces[:4]):
        shutil.copy(face, folder / f'{index}.jpg')
    shutil.copy(faces[4], folder / 'sub' / '4.png')
    (folder / 'notes.txt').write_text('not an image')
    return folder


def _same_faces(a: dict, b: dict) -> None:
    """Two predictions of :meth:`FaceInferencer.pred2dict` agree."""
    assert len(a['faces']) == len(b['faces'])
    for face_a, face_b in zip(a['faces'], b['faces']):
        np.testing.assert_allclose(
            face_a['bbox'], face_b['bbox'], rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(
            face_a['keypoints'], face_b['keypoints'], rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(
            list(face_a['attribute_scores'].values()),
            list(face_b['attribute_scores'].values()),
            atol=1e-5)
        assert face_a['attribute_decisions'] == face_b['attribute_decisions']


def test_path_array_list_and_folder_agree(crop_inferencer, photo_folder,
                                          tiny_zoo):
    path = str(photo_folder / '0.jpg')
    array = mmcv.imread(path)
    by_path = crop_inferencer(path)['predictions']
    by_array = crop_inferencer(array)['predictions']
    by_list = crop_inferencer([path, array])['predictions']
    by_folder = crop_inferencer(str(photo_folder))['predictions']
    assert len(by_path) == len(by_array) == 1 and len(by_list) == 2
    # the folder: its 5 images, recursively, sorted; not the text file
    assert [p['img_path'] for p in by_folder] == [
        str(photo_folder / name)
        for name in ('0.jpg', '1.jpg', '2.jpg', '3.jpg', 'sub/4.png')
    ]
    assert by_path[0]['img_path'] == path
    assert by_array[0]['img_path'] is None
    for other in (by_array[0], by_list[0], by_list[1], by_folder[0]):
        _same_faces(by_path[0], other)
    # plain values, JSON-ready: one face per crop, every attribute named
    (face, ) = json.loads(json.dumps(by_path[0]))['faces']
    assert set(face) == {
        'bbox', 'score', 'keypoints', 'attribute_scores', 'attribute_decisions'
    }
    assert len(face['bbox']) == 4 and len(face['keypoints']) == 5
    assert list(face['attribute_scores']) == list(tiny_zoo['names'])
    # no thresholds in the tiny checkpoint: decided at 0.5
    assert face['attribute_decisions'] == {
        name: p >= 0.5
        for name, p in face['attribute_scores'].items()
    }


@pytest.mark.parametrize('mode', ['crop', 'cascade'])
def test_batch_size_1_and_4_give_the_same_predictions(mode, crop_inferencer,
                                                      cascade_inferencer,
                                                      photo_folder):
    inferencer = crop_inferencer if mode == 'crop' else cascade_inferencer
    ones = inferencer(str(photo_folder), batch_size=1)['predictions']
    fours = inferencer(str(photo_folder), batch_size=4)['predictions']
    assert len(ones) == len(fours) == 5
    assert all(len(p['faces']) == (1 if mode == 'crop' else 3) for p in ones)
    for one, four in zip(ones, fours):
        _same_faces(one, four)
    # different images, different answers: the comparison above can fail
    assert ones[0]['faces'][0]['attribute_scores'] != \
        ones[1]['faces'][0]['attribute_scores']


def test_pictures_json_and_datasamples(cascade_inferencer, photo_folder,
                                       tmp_path):
    vis_dir, pred_dir = tmp_path / 'vis', tmp_path / 'preds'
    result = cascade_inferencer(
        str(photo_folder),
        batch_size=2,
        out_dir=str(vis_dir),
        pred_out_dir=str(pred_dir),
        return_vis=True)
    names = ['0.jpg', '1.jpg', '2.jpg', '3.jpg', 'sub/4.png']
    for name, picture, prediction in zip(names, result['visualization'],
                                         result['predictions']):
        photo = mmcv.imread(photo_folder / name)
        drawn = mmcv.imread(vis_dir / name)
        # a small photo keeps its size; boxes and dots are drawn on it
        assert drawn.shape == photo.shape == picture.shape
        assert np.abs(picture.astype(int) - photo).max() > 100
        stem = osp.splitext(name)[0]
        with open(pred_dir / f'{stem}.json') as file:
            assert json.load(file) == json.loads(json.dumps(prediction))
    samples = cascade_inferencer(
        str(photo_folder / '0.jpg'), return_datasamples=True)['predictions']
    assert isinstance(samples[0], DetDataSample)
    pred = samples[0].pred_instances
    assert pred.attribute_decisions.dtype == torch.bool
    assert pred.attribute_decisions.shape == pred.attribute_scores.shape


def test_arrays_are_numbered_and_out_file_takes_one_input(
        cascade_inferencer, photo_folder, tmp_path):
    array = mmcv.imread(photo_folder / '0.jpg')
    first = cascade_inferencer.num_unnamed_inputs
    cascade_inferencer([array, array], out_dir=str(tmp_path / 'vis'))
    assert sorted(p.name for p in (tmp_path / 'vis').iterdir()) == [
        f'{first:08d}.jpg', f'{first + 1:08d}.jpg'
    ]
    out_file = tmp_path / 'one' / 'drawn.png'
    cascade_inferencer(str(photo_folder / '0.jpg'), out_file=str(out_file))
    assert mmcv.imread(out_file).shape == array.shape
    with pytest.raises(ValueError, match='out_file needs a single input'):
        cascade_inferencer([array, array], out_file=str(out_file))
    with pytest.raises(ValueError, match='batch_size'):
        cascade_inferencer(array, batch_size=0)


def test_large_photo_picture_is_bounded(crop_inferencer, photo_folder,
                                        tmp_path):
    """Predictions in the photo's pixels, the picture at most 1280 px.

    Crop mode (the whole photo is one face) keeps the test fast; the
    drawing is the same in both modes.
    """
    face = mmcv.imread(photo_folder / '0.jpg')
    photo = np.ascontiguousarray(np.tile(face, (12, 20, 1)))  # 2560 px wide
    result = crop_inferencer(photo, return_vis=True)
    (picture, ) = result['visualization']
    assert max(picture.shape[:2]) == 1280
    assert picture.shape[1] / picture.shape[0] == pytest.approx(
        photo.shape[1] / photo.shape[0], rel=0.01)
    boxes = np.array([f['bbox'] for f in result['predictions'][0]['faces']])
    assert boxes[:, 2].max() > 1280  # the JSON stays in the photo's pixels
    full = crop_inferencer(
        photo, return_vis=True, vis_max_side=None)['visualization'][0]
    assert full.shape == photo.shape


def test_bad_file_and_bad_model(cascade_inferencer, photo_folder, tmp_path,
                                tiny_zoo):
    (tmp_path / 'bad.jpg').write_bytes(b'not an image')
    with pytest.raises(FaceImageError, match='bad.jpg'):
        cascade_inferencer(
            [str(photo_folder / '0.jpg'),
             str(tmp_path / 'bad.jpg')])
    # a config given as a dict, as BaseInferencer accepts it
    as_dict = FaceInferencer(
        Config.fromfile(tiny_zoo['config']).to_dict(),
        tiny_zoo['checkpoint'], device='cpu', mode='crop',
        show_progress=False)
    assert as_dict.attribute_names == tiny_zoo['names']
    with pytest.raises(ValueError, match='without a model'):
        FaceInferencer(weights=tiny_zoo['checkpoint'])
    with pytest.raises(FileNotFoundError, match='gone.py'):
        FaceInferencer(str(tmp_path / 'gone.py'))


def test_default_is_the_shipped_model_in_cascade_mode(face_photo,
                                                      assert_known_faces):
    """The shipped model finds each of the 3 faces of a photo, once."""
    inferencer = FaceInferencer(device='cpu', show_progress=False)
    assert inferencer.model.test_cfg['mode'] == 'cascade'
    assert inferencer.attribute_names == CELEBA_ATTRIBUTES
    path, known = face_photo
    prediction = inferencer(path)['predictions'][0]
    faces = prediction['faces']
    assert_known_faces([f['bbox'] for f in faces],
                       [f['keypoints'] for f in faces], known)
    scores = [f['score'] for f in faces]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.shared_data
def test_shipped_model_on_real_photos(shared_data_root, tmp_path):
    """The real model: faces found, batch 1 and 4 agree on 4 photos."""
    photos = sorted(
        glob.glob(
            osp.join(shared_data_root, 'wild', 'Img', 'img_wild',
                     '*.jpg')))[:4]
    folder = tmp_path / 'wild'
    folder.mkdir()
    for photo in photos:
        shutil.copy(photo, folder)
    inferencer = FaceInferencer(device='cpu', show_progress=False)
    ones = inferencer(str(folder), batch_size=1)['predictions']
    fours = inferencer(str(folder), batch_size=4)['predictions']
    assert all(len(p['faces']) >= 1 for p in ones)
    for one, four in zip(ones, fours):
        _same_faces(one, four)
    face = ones[0]['faces'][0]
    assert face['score'] > 0.9
    assert set(face['attribute_decisions']) == set(inferencer.attribute_names)
