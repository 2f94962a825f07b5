"""Load MMEngine checkpoints with ``torch.load(weights_only=True)``.

Checkpoints are untrusted input: a full unpickler runs whatever callable a
file names. torch >= 2.6 defaults to the weights-only unpickler, which
refuses MMEngine's checkpoints because their ``message_hub`` state pickles
``HistoryBuffer`` objects and numpy arrays / scalars. Rather than turning
the safety off, mcfa-mm allow-lists exactly those classes, scoped to the
load (``torch.serialization.safe_globals``).

Each ``HistoryBuffer`` also pickles its statistics methods as
``getattr(HistoryBuffer, 'mean')``. Allowing ``builtins.getattr`` itself
would hand a hostile file a path from any allowed class to its module's
globals and on to ``eval``; instead the name ``builtins.getattr`` is bound,
for the load only, to :func:`history_buffer_getattr`, which answers only
``HistoryBuffer``'s statistics methods.
"""
import os.path as osp
import pickle
from typing import Any, Callable, List, Optional

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader


def _numpy_reconstructors() -> List[Callable]:
    """numpy's pickle entry points, from wherever this numpy keeps them."""
    try:  # numpy >= 2 pickles through numpy._core
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    return [multiarray._reconstruct, multiarray.scalar]


#: Statistics methods HistoryBuffer defines itself (custom ones registered
#: through ``HistoryBuffer.register_statistics`` are allowed too).
_HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


def history_buffer_getattr(obj: Any, name: str) -> Callable:
    """``getattr`` restricted to ``HistoryBuffer``'s statistics methods.

    Args:
        obj: Must be the ``HistoryBuffer`` class.
        name (str): A statistics method name.

    Returns:
        Callable: ``HistoryBuffer.<name>``.

    Raises:
        pickle.UnpicklingError: For any other object or attribute.
    """
    allowed = set(_HISTORY_BUFFER_STATISTICS) | set(
        HistoryBuffer._statistics_methods)
    if obj is not HistoryBuffer or name not in allowed:
        raise pickle.UnpicklingError(
            f'checkpoint asks for getattr({obj!r}, {name!r}); only '
            'HistoryBuffer statistics methods are allowed')
    return getattr(HistoryBuffer, name)


def mmengine_checkpoint_globals() -> List:
    """Everything besides tensors that an MMEngine checkpoint pickles.

    Returns:
        list: Classes and functions to allow in the weights-only unpickler:
        ``HistoryBuffer`` (the message hub's logged scalars), numpy arrays,
        dtypes and scalars (``_codecs.encode`` rebuilds a scalar's bytes),
        and :func:`history_buffer_getattr` under the name
        ``builtins.getattr``.
    """
    import _codecs
    dtype_classes = [type(np.dtype(name)) for name in (
        'float64', 'float32', 'float16', 'int64', 'int32', 'int16', 'int8',
        'uint8', 'bool')]
    return [HistoryBuffer, np.ndarray, np.dtype, _codecs.encode,
            (history_buffer_getattr, 'builtins.getattr')
            ] + _numpy_reconstructors() + dtype_classes


def load_weights_only(filename: str,
                      map_location: Optional[str] = None) -> dict:
    """``torch.load`` a checkpoint in weights-only mode with the allow-list.

    Args:
        filename (str): Local path.
        map_location (str, optional): As in ``torch.load``.

    Returns:
        dict: The checkpoint.

    Raises:
        FileNotFoundError: If the file does not exist.
        pickle.UnpicklingError: If the file names a global outside the
            allow-list (a hostile or foreign checkpoint).
    """
    with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
        return torch.load(filename, map_location=map_location,
                          weights_only=True)


def load_from_local_weights_only(filename: str, map_location=None) -> dict:
    """MMEngine checkpoint loader for local paths (no URL scheme)."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return load_weights_only(filename, map_location)


def register_safe_checkpoint_loader() -> None:
    """Make MMEngine's local-file loader weights-only with the allow-list.

    This covers ``load_from``, ``--resume`` and ``tools/test.py`` (they all
    go through ``CheckpointLoader``). torch's global default stays
    ``weights_only=True``; nothing is added to its global allow-list.
    """
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_weights_only, force=True)
