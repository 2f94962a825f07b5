"""From network-input pixels back to the original image's pixels.

Test pipelines resize the image (``scale_factor``, ``(w, h)``, as mmdet's
``Resize`` records it) and may crop it (``crop_offset``, the crop's origin
``(x, y)`` in original pixels, as ``CropFace`` and ``MineFaceSample``
accumulate it), so a coordinate ``c`` of the network input lies at
``c / scale_factor + crop_offset`` in the original image. Every component
that maps back (the detector's predictions, the metrics' ground truth, the
visualiser, the crops' own offset) uses this one function.
"""
from typing import Sequence, TypeVar, Union

import numpy as np
import torch
from torch import Tensor

Coords = TypeVar('Coords', np.ndarray, Tensor)
PairLike = Union[Sequence[float], np.ndarray, Tensor]


def _pairs(value: PairLike, like: Coords, repeats: int) -> Coords:
    """``value`` as ``(..., 2 * repeats)`` of ``like``'s kind and dtype."""
    array = np.asarray(
        value.detach().cpu() if isinstance(value, Tensor) else value,
        dtype=np.float32)
    if array.ndim == 1:
        array = array[:2]  # e.g. a 4-value scale_factor
    array = np.tile(array, repeats)
    if isinstance(like, Tensor):
        return torch.as_tensor(array, dtype=like.dtype, device=like.device)
    return array.astype(like.dtype, copy=False)


def to_original_pixels(coords: Coords,
                       scale_factor: PairLike = (1., 1.),
                       crop_offset: PairLike = (0., 0.)) -> Coords:
    """Map x, y coordinates from network-input to original-image pixels.

    Args:
        coords (np.ndarray | Tensor): ``(..., 2k)``: points ``(x, y)`` or
            boxes ``(x1, y1, x2, y2)``.
        scale_factor (Sequence[float] | np.ndarray | Tensor): ``(w, h)``
            scale of the resize, or ``(..., 2)`` per row (broadcast against
            ``coords``' leading dimensions).
        crop_offset (Sequence[float] | np.ndarray | Tensor): ``(x, y)`` of
            the crop's origin in original pixels, or ``(..., 2)`` per row.

    Returns:
        np.ndarray | Tensor: The coordinates in original pixels, of the
        kind of ``coords`` (float).
    """
    repeats = coords.shape[-1] // 2
    if isinstance(coords, np.ndarray) and not np.issubdtype(
            coords.dtype, np.floating):
        coords = coords.astype(np.float32)
    return (coords / _pairs(scale_factor, coords, repeats) +
            _pairs(crop_offset, coords, repeats))


__all__ = ['to_original_pixels']
