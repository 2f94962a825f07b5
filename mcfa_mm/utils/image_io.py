"""Read images so that a bad file fails with one error that names it.

Two guards keep one image from taking the process down:

- **Size before pixels.** The header's width and height are read first
  (Pillow parses only the header) and an image of more than
  ``max_image_pixels`` is refused before anything is decoded. A 389 KB PNG
  can declare 20,000 x 20,000 pixels: 1.2 GB as ``uint8``, five times that
  once it is float. OpenCV's own limit (2**30 pixels) lets it through;
  Pillow's (about 179 MP) would fire first with its own error type, so it
  is side-stepped here and our limit applies instead.
- **No more pixels than needed.** :func:`read_image_reduced` decodes a
  large JPEG at 1/2, 1/4 or 1/8 of its size inside libjpeg (OpenCV's
  ``IMREAD_REDUCED_*`` modes), so that a 48 MP photo never exists at full
  size, and reports the ``scale_factor`` that maps results back to the
  original photo's pixels.
"""
import io
import math
import os.path as osp
import struct
import warnings
from typing import NamedTuple, Optional, Tuple

import cv2
import mmcv
import numpy as np
from mmengine.fileio import get
from PIL import Image

#: Default of ``max_image_pixels``: 250 megapixels. It admits every real
#: single-shot camera photo: phones of 48 / 50 / 64 / 108 MP and the 200 MP
#: sensors (16320 x 12240 = 199.8 MP), 100-150 MP medium format (Phase One
#: IQ4: 14204 x 10652 = 151 MP) and 240 MP pixel-shift composites
#: (19008 x 12672). It refuses the classic decompression bomb (20,000 x
#: 20,000 = 400 MP) and anything larger. Decoding an image at the limit
#: still costs 750 MB as ``uint8`` unless it is a JPEG read reduced.
DEFAULT_MAX_IMAGE_PIXELS = 250_000_000

#: The reduction factors that libjpeg applies while decoding (DCT scaling),
#: largest first.
REDUCTION_FACTORS = (8, 4, 2)

_REDUCED_FLAGS = {
    ('color', 2): cv2.IMREAD_REDUCED_COLOR_2,
    ('color', 4): cv2.IMREAD_REDUCED_COLOR_4,
    ('color', 8): cv2.IMREAD_REDUCED_COLOR_8,
    ('grayscale', 2): cv2.IMREAD_REDUCED_GRAYSCALE_2,
    ('grayscale', 4): cv2.IMREAD_REDUCED_GRAYSCALE_4,
    ('grayscale', 8): cv2.IMREAD_REDUCED_GRAYSCALE_8,
}

# EXIF orientations that swap width and height (rotations by 90 degrees).
_TRANSPOSING_ORIENTATIONS = (5, 6, 7, 8)
_EXIF_ORIENTATION = 0x0112
# Errors of Pillow's format plugins on a header they cannot parse; the
# same tuple Image.open catches per plugin.
_PLUGIN_ERRORS = (SyntaxError, IndexError, TypeError, struct.error)


class FaceImageError(ValueError):
    """An image that cannot be used: the message names the file and says
    what is wrong (missing, empty, truncated, not an image, too large).

    Args:
        path (str): The file.
        problem (str): What is wrong with it.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f'{path}: {problem}')


class ImageHeader(NamedTuple):
    """What an image's header says, before any pixel is decoded.

    Attributes:
        width (int): Stored width in pixels.
        height (int): Stored height in pixels.
        format (str): Pillow's format name, e.g. ``'JPEG'``, ``'PNG'``.
        transposed (bool): The EXIF orientation turns the picture by 90
            degrees, so the decoded image is ``width`` pixels high.
    """
    width: int
    height: int
    format: str
    transposed: bool = False

    @property
    def shape(self) -> Tuple[int, int]:
        """``(height, width)`` of the decoded, EXIF-oriented image."""
        if self.transposed:
            return self.width, self.height
        return self.height, self.width


class DecodedImage(NamedTuple):
    """An image decoded at reduced size and how to map back.

    Attributes:
        img (np.ndarray): The decoded pixels.
        ori_shape (tuple[int, int]): ``(height, width)`` of the full-size
            (EXIF-oriented) image.
        scale_factor (tuple[float, float]): ``(w_scale, h_scale)``: decoded
            size over full size, as mmdet's ``Resize`` records it, so a
            coordinate ``c`` of ``img`` lies at ``c / scale_factor`` in the
            original photo (:func:`mcfa_mm.utils.to_original_pixels`).
    """
    img: np.ndarray
    ori_shape: Tuple[int, int]
    scale_factor: Tuple[float, float]


def _truncation(data: bytes) -> Optional[str]:
    """Why an encoded JPEG or PNG is cut short, or None if it is whole."""
    if data[:2] == b'\xff\xd8' and not data.rstrip(b'\0').endswith(
            b'\xff\xd9'):
        return 'truncated JPEG (no end-of-image marker)'
    if data[:8] == b'\x89PNG\r\n\x1a\n' and b'IEND' not in data[-16:]:
        return 'truncated PNG (no IEND chunk)'
    return None


def _open_unchecked(stream: io.BytesIO) -> Image.Image:
    """Open an image's header with Pillow's plugins, skipping Pillow's
    decompression-bomb check (it would hide the size behind its own error
    type; our own limit is applied by the caller)."""
    Image.preinit()
    for attempt in range(2):  # the common plugins first, then all of them
        if attempt:
            Image.init()
        prefix = stream.getvalue()[:16]
        for name in Image.ID:
            factory, accept = Image.OPEN[name]
            # as Image.open: a str from accept() is a warning, not a yes
            accepted = accept(prefix) if accept else True
            if isinstance(accepted, str) or not accepted:
                continue
            stream.seek(0)
            try:
                return factory(stream, None)
            except _PLUGIN_ERRORS:
                continue
    raise Image.UnidentifiedImageError('cannot identify image file')


def read_image_header(data: bytes) -> Optional[ImageHeader]:
    """The size an encoded image declares, without decoding its pixels.

    Args:
        data (bytes): The encoded file.

    Returns:
        ImageHeader | None: The header, or None when Pillow does not know
        the format or cannot parse the header.
    """
    stream = io.BytesIO(data)
    try:
        with warnings.catch_warnings():
            # Pillow warns above 89 MP and raises above 179 MP; the caller
            # applies its own limit, with the file's name and its size.
            warnings.simplefilter('ignore', Image.DecompressionBombWarning)
            try:
                image = Image.open(stream)
            except Image.DecompressionBombError:
                image = _open_unchecked(stream)
        width, height = image.size
        orientation = None
        if image.format in ('JPEG', 'MPO'):
            # JPEG's EXIF block is in the header; reading it is cheap
            orientation = image.getexif().get(_EXIF_ORIENTATION)
    except Exception:  # any parse failure: no size known
        return None
    return ImageHeader(
        int(width), int(height), str(image.format),
        orientation in _TRANSPOSING_ORIENTATIONS)


def check_image_size(path: str, header: Optional[ImageHeader],
                     max_image_pixels: Optional[int]) -> None:
    """Refuse an image whose header declares too many pixels, or whose
    size cannot be read from a header at all.

    Args:
        path (str): The file, for the message.
        header (ImageHeader, optional): Its header, None if unreadable.
        max_image_pixels (int, optional): The limit; None or 0: none (and
            an unreadable header is left to the decoder).

    Raises:
        FaceImageError: ``width * height > max_image_pixels``, naming the
            file, its size and the limit; or no header could be read.
    """
    if not max_image_pixels:
        return
    if header is None:
        # A size we cannot read is a size we cannot bound: every format the
        # demos accept has a header Pillow reads, and what OpenCV would
        # decode without one (up to its 2**30-pixel limit) is refused.
        raise FaceImageError(
            path, 'not an image of a known format (no readable header '
            'giving its size)')
    pixels = header.width * header.height
    if pixels > max_image_pixels:
        raise FaceImageError(
            path, f'{header.width} x {header.height} pixels '
            f'({pixels / 1e6:.1f} MP) is more than max_image_pixels='
            f'{max_image_pixels} ({max_image_pixels / 1e6:g} MP); refused '
            'before decoding (raise max_image_pixels to read it)')


def reduction_factor(height: int, width: int,
                     max_side: Optional[int]) -> int:
    """The largest of 8, 4, 2 that keeps the longer side >= ``max_side``.

    Args:
        height (int): Full-size height.
        width (int): Full-size width.
        max_side (int, optional): The longest side the caller uses; None or
            0: full size.

    Returns:
        int: 1, 2, 4 or 8.
    """
    if not max_side:
        return 1
    longer = max(height, width)
    for factor in REDUCTION_FACTORS:
        if math.ceil(longer / factor) >= max_side:
            return factor
    return 1


def _read_bytes(path: str, backend_args: Optional[dict]) -> bytes:
    """The file's bytes, or :class:`FaceImageError` saying why not."""
    if path is None:
        raise FaceImageError('<None>', 'no image path given')
    if '://' not in str(path) and not osp.isfile(path):
        raise FaceImageError(path, 'file not found')
    try:
        data = get(path, backend_args=backend_args)
    except (OSError, ValueError) as error:
        raise FaceImageError(path, f'cannot be read ({error})') from error
    if not data:
        raise FaceImageError(path, 'empty file')
    return data


def _decode(path: str, data: bytes, color_type: str, channel_order: str,
            imdecode_backend: str, factor: int = 1,
            jpeg: bool = False) -> np.ndarray:
    """Decode ``data``, reduced ``factor`` times in libjpeg when it is a
    JPEG read by OpenCV in colour or grayscale, else decoded whole and
    resized (still bounding what the model sees)."""
    flag = _REDUCED_FLAGS.get((color_type, factor))
    try:
        if jpeg and imdecode_backend == 'cv2' and flag is not None:
            img = cv2.imdecode(np.frombuffer(data, np.uint8), flag)
            if img is not None and img.ndim == 3 and channel_order == 'rgb':
                img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        else:
            img = mmcv.imfrombytes(
                data, flag=color_type, channel_order=channel_order,
                backend=imdecode_backend)
            if img is not None and img.size and factor > 1:
                height, width = img.shape[:2]
                img = cv2.resize(
                    img, (math.ceil(width / factor),
                          math.ceil(height / factor)),
                    interpolation=cv2.INTER_AREA)
    except Exception as error:  # decoders raise many types
        raise FaceImageError(path,
                             f'not a readable image ({error})') from error
    if img is None or img.size == 0:
        raise FaceImageError(path, 'not an image the decoder can read')
    return img


def _checked_bytes(path: str, backend_args: Optional[dict],
                   max_image_pixels: Optional[int]
                   ) -> Tuple[bytes, Optional[ImageHeader]]:
    """Read the file, refuse it if it is cut short or too large."""
    data = _read_bytes(path, backend_args)
    # cut short first: the more precise message for a JPEG or PNG whose
    # header is cut off too
    truncated = _truncation(data)
    if truncated:
        raise FaceImageError(path, truncated)
    header = read_image_header(data)
    check_image_size(path, header, max_image_pixels)
    return data, header


def read_image(path: str,
               color_type: str = 'color',
               channel_order: str = 'bgr',
               imdecode_backend: str = 'cv2',
               backend_args: Optional[dict] = None,
               max_image_pixels: Optional[int] = DEFAULT_MAX_IMAGE_PIXELS
               ) -> np.ndarray:
    """Read and decode an image, raising :class:`FaceImageError` if bad.

    Args:
        path (str): The image file (local path or an mmengine file URI).
        color_type (str): As :func:`mmcv.imfrombytes`.
        channel_order (str): As :func:`mmcv.imfrombytes`.
        imdecode_backend (str): As :func:`mmcv.imfrombytes`.
        backend_args (dict, optional): mmengine file backend arguments.
        max_image_pixels (int, optional): Refuse, before decoding, an image
            whose header declares more pixels, or whose header Pillow
            cannot read (None or 0: no limit, and such a file is left to
            the decoder, whose own limit is OpenCV's 2**30 pixels).
            Defaults to :data:`DEFAULT_MAX_IMAGE_PIXELS`.

    Returns:
        np.ndarray: The decoded image.

    Raises:
        FaceImageError: The file is missing, empty, truncated, too large,
            of no format whose header Pillow reads, or not an image that
            the decoder reads.
    """
    data, _ = _checked_bytes(path, backend_args, max_image_pixels)
    return _decode(path, data, color_type, channel_order, imdecode_backend)


def read_image_reduced(path: str,
                       max_side: Optional[int],
                       color_type: str = 'color',
                       channel_order: str = 'bgr',
                       imdecode_backend: str = 'cv2',
                       backend_args: Optional[dict] = None,
                       max_image_pixels: Optional[int] = (
                           DEFAULT_MAX_IMAGE_PIXELS)) -> DecodedImage:
    """:func:`read_image` at no more than the size the caller uses.

    The image is reduced by the largest of 8, 4 and 2 that keeps its longer
    side at least ``max_side`` (:func:`reduction_factor`): a JPEG is
    reduced while it is decoded (OpenCV's ``IMREAD_REDUCED_*``, libjpeg's
    DCT scaling, so the full-size image never exists), another format or
    colour type is decoded whole and shrunk with ``INTER_AREA``.

    Args:
        path (str): The image file (local path or an mmengine file URI).
        max_side (int, optional): The longest side the caller uses, e.g.
            the cascade's ``test_cfg.cascade.max_pyramid_side``; None or 0
            decodes at full size.
        color_type (str): As :func:`mmcv.imfrombytes`.
        channel_order (str): As :func:`mmcv.imfrombytes`.
        imdecode_backend (str): As :func:`mmcv.imfrombytes`.
        backend_args (dict, optional): mmengine file backend arguments.
        max_image_pixels (int, optional): As :func:`read_image`.

    Returns:
        DecodedImage: The pixels, the full size and the ``scale_factor``
        that maps them back to it.

    Raises:
        FaceImageError: As :func:`read_image`.
    """
    data, header = _checked_bytes(path, backend_args, max_image_pixels)
    factor = 1
    if header is not None:
        factor = reduction_factor(header.height, header.width, max_side)
    img = _decode(path, data, color_type, channel_order, imdecode_backend,
                  factor, jpeg=header is not None
                  and header.format in ('JPEG', 'MPO'))
    height, width = img.shape[:2]
    if factor == 1:
        return DecodedImage(img, (height, width), (1., 1.))
    ori_height, ori_width = header.shape
    if (height > width) != (ori_height > ori_width) and \
            height != width:
        # the decoder turned the picture another way than the EXIF tag
        # read by Pillow says: trust the pixels
        ori_height, ori_width = ori_width, ori_height
    return DecodedImage(img, (ori_height, ori_width),
                        (width / ori_width, height / ori_height))
