"""Property: the image loader, on any bytes, either returns an image or
raises ``FaceImageError`` naming the file; an image whose header declares
more than ``max_image_pixels`` is refused before it is decoded.

Seeds are a face of the project's generated demo data set, encoded in
every format the demos accept; see ``conftest.py`` for the profiles.
"""
import re

import numpy as np
from hypothesis import event, given
from hypothesis import strategies as st

from mcfa_mm.utils import FaceImageError
from mcfa_mm.utils.image_io import read_image, read_image_reduced
from tests.test_fuzz.strategies import (mutated_bytes, no_hang,
                                        with_declared_size)

#: The fuzzed files may declare any size: a low limit keeps what the
#: decoders allocate for them small (the property is the same).
LIMIT = 1_000_000
#: Magic numbers of the formats Pillow or OpenCV know, to reach their
#: header parsers with random bytes behind them.
MAGICS = (b'\xff\xd8\xff\xe0', b'\xff\xd8\xff\xc0', b'\x89PNG\r\n\x1a\n',
          b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR', b'BM', b'GIF89a',
          b'GIF87a', b'II*\x00', b'MM\x00*', b'RIFF\x00\x00\x00\x00WEBPVP8 ',
          b'P6\n', b'P5 ', b'P1', b'\x00\x00\x01\x00', b'8BPS', b'#?RADIANCE',
          b'\x0a\x05\x01\x08', b'\x59\xa6\x6a\x95', b'icns', b'qoif')


def outcome(problem: str) -> str:
    """A problem's kind, for ``--hypothesis-show-statistics``."""
    return 'refused: ' + re.sub(r'[0-9]+', 'N', problem.split('(')[0])[:48]


def load_or_error(path: str, reduced: bool = False):
    """Load ``path``, checking the property.

    Returns:
        np.ndarray | None: The image, or None if it was refused (with a
        :class:`FaceImageError` that names the file).
    """
    try:
        with no_hang():
            if reduced:
                img, ori_shape, scale = read_image_reduced(
                    path, 16, max_image_pixels=LIMIT)
            else:
                img = read_image(path, max_image_pixels=LIMIT)
    except FaceImageError as error:
        assert error.path == path and str(error).startswith(f'{path}: ')
        event(outcome(error.problem))
        return None
    event('loaded')
    assert isinstance(img, np.ndarray) and img.size > 0
    assert img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8
    assert img.shape[0] * img.shape[1] <= LIMIT
    if reduced:  # the scale maps the pixels back onto the full size
        assert 0 < scale[0] <= 1 and 0 < scale[1] <= 1
        for side, full, factor in zip(img.shape[:2], ori_shape,
                                      scale[::-1]):
            assert abs(full * factor - side) < 1
    return img


@given(data=st.binary(max_size=4096))
def test_random_bytes(data, write_file):
    load_or_error(write_file('random.img', data))


@given(magic=st.sampled_from(MAGICS), rest=st.binary(max_size=2048))
def test_random_bytes_behind_a_magic_number(magic, rest, write_file):
    load_or_error(write_file('magic.img', magic + rest))


@given(data=st.data())
def test_damaged_images(data, write_file, image_seeds):
    """Truncated, bit-flipped, spliced files of every format, read whole
    and reduced."""
    kind = data.draw(st.sampled_from(sorted(image_seeds)), label='format')
    content = data.draw(mutated_bytes(image_seeds[kind]), label='content')
    path = write_file(f'damaged.{kind}', content)
    load_or_error(path)
    load_or_error(path, reduced=True)


@given(kind=st.sampled_from(('png', 'jpg')),
       width=st.one_of(st.integers(0, 2**32 - 1),
                       st.sampled_from((0, 1, 20_000, 65_535, 2**31))),
       height=st.one_of(st.integers(0, 2**32 - 1),
                        st.sampled_from((0, 1, 20_000, 65_535, 2**31))))
def test_declared_size_is_checked_before_decoding(kind, width, height,
                                                  write_file, image_seeds):
    """A header that claims too many pixels is refused by the size check,
    naming the size and the limit, whatever the pixel data."""
    content = with_declared_size(image_seeds[kind], width, height)
    if kind == 'jpg':
        width, height = width % 2**16, height % 2**16
    path = write_file(f'declared.{kind}', content)
    if load_or_error(path) is not None:
        assert width * height <= LIMIT
    if width * height > LIMIT:
        try:
            read_image(path, max_image_pixels=LIMIT)
        except FaceImageError as error:
            assert f'{width} x {height} pixels' in str(error)
            assert f'max_image_pixels={LIMIT}' in str(error)
