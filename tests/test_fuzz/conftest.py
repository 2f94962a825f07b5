"""Hypothesis profiles, hang guard and seed files of the fuzz suite.

Profiles, chosen with the environment variable ``HYPOTHESIS_PROFILE``:

- ``ci`` (default): 50 examples per test, derandomised (the same examples
  on every run, so CI never flakes on a newly found case), the whole suite
  in well under a minute on one core.
- ``long``: ``HYPOTHESIS_MAX_EXAMPLES`` examples per test (default 1000),
  a new random seed each run: the run to do before a release, e.g.
  ``HYPOTHESIS_PROFILE=long pytest tests/test_fuzz
  --hypothesis-show-statistics`` (about 9,400 cases in 25 s at 400).

No profile keeps an example database (it would write ``.hypothesis/`` into
the work tree); a failure prints the falsifying example and a
``@reproduce_failure`` blob to paste above the test.

Every example runs under ``strategies.no_hang``: a parser or decoder stuck
for ``HANG_SECONDS`` fails the test instead of hanging the run.
"""
import io
import os
import os.path as osp
from typing import Callable, Dict

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

_COMMON = dict(
    deadline=None,  # a loaded CI machine is slow, not hung: see no_hang
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile('ci', max_examples=50, derandomize=True, **_COMMON)
settings.register_profile(
    'long',
    max_examples=int(os.environ.get('HYPOTHESIS_MAX_EXAMPLES', 1000)),
    **_COMMON)
settings.load_profile(os.environ.get('HYPOTHESIS_PROFILE', 'ci'))


@pytest.fixture(scope='module')
def write_file(tmp_path_factory) -> Callable[[str, bytes], str]:
    """``write_file(name, data)``: the path of a file holding ``data``, in
    a folder of the module (Hypothesis reruns a test many times within one
    function-scoped fixture, so ``tmp_path`` does not fit)."""
    folder = tmp_path_factory.mktemp('fuzz')

    def write(name: str, data: bytes) -> str:
        path = osp.join(str(folder), name)
        with open(path, 'wb') as file:
            file.write(data)
        return path

    return write


@pytest.fixture(scope='session')
def annotation_seeds(demo_data_root) -> Dict[str, bytes]:
    """The bytes of the five annotation files of the project's generated
    demo data set (``tests/conftest.py``'s ``demo_data_root``), by kind."""
    files = dict(
        attr='Anno/list_attr_celeba.txt',
        bbox='Anno/list_bbox_celeba.txt',
        landmark='Anno/list_landmarks_celeba.txt',
        partition='Eval/list_eval_partition.txt',
        identity='Anno/identity_CelebA.txt')
    seeds = {}
    for kind, relative in files.items():
        with open(osp.join(demo_data_root, relative), 'rb') as file:
            seeds[kind] = file.read()
    return seeds


@pytest.fixture(scope='session')
def image_seeds(demo_data_root) -> Dict[str, bytes]:
    """A demo face encoded in each format the demos accept, small (64 x 48)
    so that every mutated example decodes fast, by format name."""
    from PIL import Image
    face = cv2.imread(
        osp.join(demo_data_root, 'Img', 'img_celeba', '000001.jpg'))
    face = cv2.resize(face, (64, 48), interpolation=cv2.INTER_AREA)
    seeds = {}
    for ext in ('.jpg', '.png', '.bmp', '.tiff', '.webp', '.ppm'):
        ok, encoded = cv2.imencode(ext, face)
        if ok:
            seeds[ext[1:]] = encoded.tobytes()
    # a grey PNG, a palette GIF and a JPEG turned by EXIF (orientation 6)
    seeds['png_gray'] = cv2.imencode(
        '.png', cv2.cvtColor(face, cv2.COLOR_BGR2GRAY))[1].tobytes()
    rgb = Image.fromarray(np.ascontiguousarray(face[..., ::-1]))
    seeds['gif'] = _pillow_bytes(rgb.convert('P'), 'GIF')
    exif = rgb.getexif()
    exif[0x0112] = 6
    seeds['jpg_exif'] = _pillow_bytes(rgb, 'JPEG', exif=exif.tobytes())
    return seeds


def _pillow_bytes(image, fmt: str, **kwargs) -> bytes:
    """``image`` encoded by Pillow as ``fmt``."""
    stream = io.BytesIO()
    image.save(stream, fmt, **kwargs)
    return stream.getvalue()
