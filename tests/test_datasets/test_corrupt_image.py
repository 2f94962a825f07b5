"""A bad image fails loudly, naming the file: at dataset build time when it
is missing then, at the sample that uses it otherwise."""
import glob
import os
import shutil

import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile

from mcfa_mm.testing import write_png_bomb
from mcfa_mm.utils import FaceImageError
from mmdet.registry import DATASETS, TRANSFORMS

PARTITION_FILE = 'Eval/list_eval_partition.txt'


@pytest.fixture
def demo_copy(demo_data_root, tmp_path):
    """A copy of the generated demo data that a test may damage."""
    root = str(tmp_path / 'demo')
    shutil.copytree(demo_data_root, root)
    return root


def _dataset(root, **kwargs):
    return DATASETS.build(
        dict(type='CelebADataset', data_root=root,
             data_prefix=dict(img='Img/img_celeba/'), split='all',
             pipeline=[dict(type='LoadFaceImageFromFile'),
                       dict(type='LoadFaceAnnotations')], **kwargs))


def _index_of(dataset, path):
    return [i for i in range(len(dataset))
            if dataset.get_data_info(i)['img_path'] == path][0]


def _truncate(path):
    with open(path, 'rb') as file:
        data = file.read()
    with open(path, 'wb') as file:
        file.write(data[:len(data) // 2])


def test_good_image_loads_as_mmcv_loads_it(demo_copy):
    path = sorted(glob.glob(f'{demo_copy}/Img/img_celeba/*.jpg'))[0]
    ours = TRANSFORMS.build(dict(type='LoadFaceImageFromFile')).transform(
        dict(img_path=path))
    theirs = LoadImageFromFile().transform(dict(img_path=path))
    np.testing.assert_array_equal(ours['img'], theirs['img'])
    assert ours['img_shape'] == ours['ori_shape'] == theirs['img_shape']


@pytest.mark.parametrize('damage, problem', [
    ('text', 'not an image'),
    ('truncate', 'truncated JPEG'),
    ('empty', 'empty file'),
    ('remove', 'file not found'),
])
def test_bad_image_names_the_file_and_the_problem(demo_copy, damage,
                                                  problem):
    dataset = _dataset(demo_copy)
    victim = sorted(glob.glob(f'{demo_copy}/Img/img_celeba/*.jpg'))[0]
    index = _index_of(dataset, victim)
    if damage == 'text':
        with open(victim, 'wb') as file:
            file.write(b'not a jpeg at all')
    elif damage == 'truncate':
        _truncate(victim)
    elif damage == 'empty':
        open(victim, 'wb').close()
    else:  # disappears after the dataset was built, before iteration
        os.remove(victim)
    with pytest.raises(FaceImageError, match=problem) as error:
        dataset[index]
    assert error.value.path == victim and victim in str(error.value)


def test_ignore_empty_is_refused():
    with pytest.raises(ValueError, match='never skips'):
        TRANSFORMS.build(dict(type='LoadFaceImageFromFile',
                              ignore_empty=True))


def test_image_gone_before_training_fails_at_build(demo_copy):
    """An image listed in the annotations that disappeared: the error
    names the image and the annotation file when the dataset is built,
    not at iteration N; skip_invalid counts it instead."""
    full = len(_dataset(demo_copy))
    victim = sorted(glob.glob(f'{demo_copy}/Img/img_celeba/*.jpg'))[3]
    os.remove(victim)
    with pytest.raises(FileNotFoundError) as error:
        _dataset(demo_copy)
    assert victim in str(error.value)
    assert PARTITION_FILE in str(error.value)
    dataset = _dataset(demo_copy, skip_invalid=True)
    assert dataset.num_skipped == 1 and len(dataset) == full - 1
    assert victim in dataset.skipped[0]


# --- images too large, refused before decoding; reduced decoding ---------


def _png_bomb(path, width=20_000, height=20_000):
    """A grey PNG of ``width`` x ``height`` zeros: a few hundred KB on disk,
    400 MP once decoded."""
    write_png_bomb(str(path), width, height)
    return str(path)


@pytest.fixture(scope='module')
def bomb(tmp_path_factory):
    return _png_bomb(tmp_path_factory.mktemp('bomb') / 'bomb.png')


def test_bomb_is_refused_naming_file_size_and_limit(bomb):
    """The 389 KB PNG of 20,000 x 20,000 pixels fails at once, from its
    header, where OpenCV's own limit (2**30 pixels) would decode it."""
    import resource
    import time
    from mcfa_mm.utils.image_io import DEFAULT_MAX_IMAGE_PIXELS, read_image
    assert os.path.getsize(bomb) < 1_000_000
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with pytest.raises(FaceImageError) as error:
        read_image(bomb)
    assert time.perf_counter() - start < 1
    # nothing was decoded: the peak grew by far less than the 400 MB of
    # the grey pixels (ru_maxrss is in KiB on Linux)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    assert grown < 100 * 1024
    message = str(error.value)
    assert error.value.path == bomb and message.startswith(bomb)
    assert '20000 x 20000 pixels' in message and '400.0 MP' in message
    assert f'max_image_pixels={DEFAULT_MAX_IMAGE_PIXELS}' in message


def test_default_limit_admits_camera_photos():
    """250 MP: 200 MP phone sensors and 150 MP medium format pass; the
    classic bomb does not."""
    from mcfa_mm.utils.image_io import (DEFAULT_MAX_IMAGE_PIXELS,
                                        ImageHeader, check_image_size)
    for width, height in ((8000, 6000), (12000, 9000), (16320, 12240),
                          (14204, 10652)):
        check_image_size('photo.jpg', ImageHeader(width, height, 'JPEG'),
                         DEFAULT_MAX_IMAGE_PIXELS)
    with pytest.raises(FaceImageError, match='max_image_pixels'):
        check_image_size('bomb.png', ImageHeader(20000, 20000, 'PNG'),
                         DEFAULT_MAX_IMAGE_PIXELS)


def _jpeg(path, width, height, **exif):
    """A smooth colour JPEG of ``width`` x ``height`` (EXIF orientation
    when given)."""
    from PIL import Image
    rng = np.random.RandomState(0)
    small = rng.randint(0, 255, (3, 4, 3)).astype(np.uint8)
    image = Image.fromarray(small).resize((width, height), Image.BILINEAR)
    tags = image.getexif()
    for key, value in exif.items():
        tags[dict(orientation=0x0112)[key]] = value
    image.save(path, 'JPEG', quality=90, exif=tags.tobytes())
    return str(path)


def test_max_image_pixels_is_configurable(tmp_path, bomb):
    from mcfa_mm.utils.image_io import read_image
    path = _jpeg(tmp_path / 'photo.jpg', 400, 300)
    assert read_image(path).shape == (300, 400, 3)
    with pytest.raises(FaceImageError, match=r'400 x 300 pixels .*'
                       r'max_image_pixels=100000 '):
        read_image(path, max_image_pixels=100_000)
    # in the pipelines: the loading transform's argument
    small = TRANSFORMS.build(
        dict(type='LoadFaceImageFromFile', max_image_pixels=100_000))
    with pytest.raises(FaceImageError, match='max_image_pixels=100000'):
        small.transform(dict(img_path=path))
    assert 'max_image_pixels=100000' in repr(small)
    with pytest.raises(FaceImageError, match='max_image_pixels'):
        TRANSFORMS.build(dict(type='LoadFaceImageFromFile')).transform(
            dict(img_path=bomb))
    with pytest.raises(ValueError, match='max_image_pixels'):
        TRANSFORMS.build(
            dict(type='LoadFaceImageFromFile', max_image_pixels=-1))
    # None (or 0) switches the check off
    loaded = TRANSFORMS.build(
        dict(type='LoadFaceImageFromFile', max_image_pixels=None)).transform(
            dict(img_path=path))
    assert loaded['img'].shape == (300, 400, 3)


@pytest.mark.parametrize('max_side, factor', [(None, 1), (0, 1), (2000, 1),
                                              (1000, 2), (500, 4), (400, 4),
                                              (250, 8), (10, 8)])
def test_reduction_factor(max_side, factor):
    from mcfa_mm.utils.image_io import reduction_factor
    assert reduction_factor(1500, 2000, max_side) == factor


@pytest.mark.parametrize('orientation', [1, 6])
def test_reduced_decode_maps_back_to_original_pixels(tmp_path, orientation):
    """A 2000 x 1500 JPEG read for a 600-px side is decoded at 1/2 inside
    libjpeg; ori_shape and scale_factor give the full photo back, EXIF
    rotation (6: turned 90 degrees) included."""
    import cv2
    from mcfa_mm.utils import to_original_pixels
    from mcfa_mm.utils.image_io import read_image, read_image_reduced
    path = _jpeg(tmp_path / 'photo.jpg', 2000, 1500, orientation=orientation)
    full = read_image(path)
    img, ori_shape, scale = read_image_reduced(path, 600)
    assert ori_shape == full.shape[:2]
    assert img.shape[:2] == (full.shape[0] // 2, full.shape[1] // 2)
    assert scale == (0.5, 0.5)
    # the same picture: a point of the reduced image maps onto the same
    # content of the full one
    np.testing.assert_array_equal(
        to_original_pixels(np.array([100., 200.]), scale), [200., 400.])
    shrunk = cv2.resize(full, img.shape[1::-1], interpolation=cv2.INTER_AREA)
    assert np.abs(shrunk.astype(int) - img).mean() < 3
    # small enough already: full size, scale 1
    assert read_image_reduced(path, 1500).scale_factor == (1., 1.)


@pytest.mark.parametrize('ext', ['.png', '.jpg'])
def test_inference_on_a_reduced_photo_is_in_original_pixels(
        tmp_path, demo_data_root, ext):
    """``inference_faces`` on a large file decodes it reduced to the
    cascade's ``max_pyramid_side`` and returns boxes and keypoints in the
    file's pixels: exactly 4x those found on the reduced pixels."""
    import cv2
    import torch
    from mcfa_mm.apis import inference_faces
    from mcfa_mm.testing import tiny_mcfa_config
    from mmdet.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(tiny_mcfa_config(input_size=64)).eval()
    model.dataset_meta = dict(classes=('face', ))  # as init_face_model
    model.test_cfg['mode'] = 'cascade'
    model.test_cfg['cascade'].update(min_face_size=16, max_pyramid_side=64,
                                     thresholds=(0., 0., 0.))
    face = cv2.imread(sorted(glob.glob(
        f'{demo_data_root}/Img/img_celeba/*.jpg'))[0])
    path = str(tmp_path / f'photo{ext}')
    cv2.imwrite(path, cv2.resize(face, (256, 192)))
    # what the loader decodes: the same pixels, 64 x 48
    if ext == '.jpg':
        small = cv2.imread(path, cv2.IMREAD_REDUCED_COLOR_4)
    else:
        small = cv2.resize(cv2.imread(path), (64, 48),
                           interpolation=cv2.INTER_AREA)
    on_file = inference_faces(model, path)
    on_small = inference_faces(model, small)
    assert on_file.metainfo['ori_shape'] == (192, 256)
    assert on_file.metainfo['img_shape'] == (48, 64)
    assert len(on_file.pred_instances) == len(on_small.pred_instances) > 0
    for key in ('bboxes', 'keypoints'):
        torch.testing.assert_close(on_file.pred_instances[key],
                                   on_small.pred_instances[key] * 4)
    # a configurable limit through test_cfg
    model.test_cfg['max_image_pixels'] = 10_000
    with pytest.raises(FaceImageError, match='max_image_pixels=10000'):
        inference_faces(model, path)


def test_unknown_format_is_refused(tmp_path):
    """A file whose size no header gives cannot be bounded: refused."""
    from mcfa_mm.utils.image_io import read_image
    path = str(tmp_path / 'radiance.hdr')
    with open(path, 'wb') as file:
        file.write(b'#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 9 +X 9\n' +
                   bytes(400))
    with pytest.raises(FaceImageError, match='not an image'):
        read_image(path)


def test_header_of_a_108mp_photo_is_read_silently():
    """Pillow warns above 89 MP (and refuses above 179 MP) with its own
    types; the size check reads any header quietly and applies our limit."""
    import warnings

    import cv2
    from mcfa_mm.utils.image_io import read_image_header
    from tests.test_fuzz.strategies import with_declared_size
    small = cv2.imencode('.jpg', np.zeros((8, 8, 3), np.uint8))[1].tobytes()
    for width, height in ((12000, 9000), (65535, 65535)):
        with warnings.catch_warnings():
            warnings.simplefilter('error')
            header = read_image_header(
                with_declared_size(small, width, height))
        assert (header.width, header.height) == (width, height)
