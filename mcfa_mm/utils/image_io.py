"""Read images so that a bad file fails with one error that names it."""
import os.path as osp
from typing import Optional

import mmcv
import numpy as np
from mmengine.fileio import get


class FaceImageError(ValueError):
    """An image that cannot be used: the message names the file and says
    what is wrong (missing, empty, truncated, not an image).

    Args:
        path (str): The file.
        problem (str): What is wrong with it.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f'{path}: {problem}')


def _truncation(data: bytes) -> Optional[str]:
    """Why an encoded JPEG or PNG is cut short, or None if it is whole."""
    if data[:2] == b'\xff\xd8' and not data.rstrip(b'\0').endswith(
            b'\xff\xd9'):
        return 'truncated JPEG (no end-of-image marker)'
    if data[:8] == b'\x89PNG\r\n\x1a\n' and b'IEND' not in data[-16:]:
        return 'truncated PNG (no IEND chunk)'
    return None


def read_image(path: str,
               color_type: str = 'color',
               channel_order: str = 'bgr',
               imdecode_backend: str = 'cv2',
               backend_args: Optional[dict] = None) -> np.ndarray:
    """Read and decode an image, raising :class:`FaceImageError` if bad.

    Args:
        path (str): The image file (local path or an mmengine file URI).
        color_type (str): As :func:`mmcv.imfrombytes`.
        channel_order (str): As :func:`mmcv.imfrombytes`.
        imdecode_backend (str): As :func:`mmcv.imfrombytes`.
        backend_args (dict, optional): mmengine file backend arguments.

    Returns:
        np.ndarray: The decoded image.

    Raises:
        FaceImageError: The file is missing, empty, truncated or not an
            image that the decoder reads.
    """
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
    truncated = _truncation(data)
    if truncated:
        raise FaceImageError(path, truncated)
    try:
        img = mmcv.imfrombytes(
            data, flag=color_type, channel_order=channel_order,
            backend=imdecode_backend)
    except Exception as error:  # decoders raise many types
        raise FaceImageError(path,
                             f'not a readable image ({error})') from error
    if img is None or img.size == 0:
        raise FaceImageError(path, 'not an image the decoder can read')
    return img
