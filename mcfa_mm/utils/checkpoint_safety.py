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

A file that cannot be a checkpoint (truncated, corrupt) or that belongs to
another model (missing, unexpected or differently shaped weights) raises
:class:`CheckpointError`, naming the file and the first mismatched keys;
MMEngine would only log the mismatch and go on with random weights.
"""
import os.path as osp
import pickle
import re
import zipfile
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

#: The local file the safe loader read last (the hook that checks the
#: weights against the model learns the name from it).
_LAST_LOADED: Dict[str, Optional[str]] = dict(path=None)


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used: the message names the file and
    says why (truncated or corrupt, or the weights of another model).

    Args:
        path (str): The checkpoint file.
        problem (str): What is wrong with it.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f'{path}: {problem}')


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
            allow-list (a hostile or foreign checkpoint); the message names
            the file.
        CheckpointError: If the file is truncated or not a checkpoint.
    """
    try:
        with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
            return torch.load(filename, map_location=map_location,
                              weights_only=True)
    except pickle.UnpicklingError as error:
        raise pickle.UnpicklingError(f'{filename}: {error}') from error
    except (RuntimeError, EOFError, zipfile.BadZipFile) as error:
        raise CheckpointError(
            filename, 'not a complete checkpoint (truncated or corrupt '
            f'file?): {error}') from error


def checkpoint_mismatch(
    model: torch.nn.Module,
    state_dict: dict,
    revise_keys: Sequence[Tuple[str, str]] = ((r'^module\.', ''), )
) -> Dict[str, List[str]]:
    """How a state dict differs from a model's, as MMEngine would load it.

    Args:
        model (nn.Module): The model.
        state_dict (dict): The checkpoint's weights.
        revise_keys (Sequence[tuple]): ``(pattern, replacement)`` applied
            to the checkpoint's keys first, as MMEngine's loader does.

    Returns:
        dict[str, list[str]]: ``missing`` (the model's keys the checkpoint
        lacks), ``unexpected`` (the checkpoint's keys the model lacks) and
        ``shape`` (``'key: checkpoint (a, b), model (c, d)'``; the model's
        empty tensors, sized on load, fit any shape), each in the model's or
        checkpoint's order.
    """
    revised = {}
    for key, value in state_dict.items():
        for pattern, replacement in revise_keys:
            key = re.sub(pattern, replacement, key)
        revised[key] = value
    own = model.state_dict()
    # an empty tensor is a buffer sized on load (e.g. a running average
    # whose length the first batch decides): any saved shape fits it
    shape = [
        f'{key}: checkpoint {tuple(revised[key].shape)}, model '
        f'{tuple(value.shape)}' for key, value in own.items()
        if key in revised and hasattr(revised[key], 'shape')
        and value.numel() > 0
        and tuple(revised[key].shape) != tuple(value.shape)
    ]
    return dict(
        missing=[key for key in own if key not in revised],
        unexpected=[key for key in revised if key not in own],
        shape=shape)


def check_checkpoint_fits(model: torch.nn.Module,
                          checkpoint: dict,
                          filename: str,
                          max_keys: int = 5) -> None:
    """Raise unless ``checkpoint`` holds exactly ``model``'s weights.

    Args:
        model (nn.Module): The model about to be loaded.
        checkpoint (dict): The loaded checkpoint (``state_dict`` inside or
            the state dict itself).
        filename (str): Its file, for the message.
        max_keys (int): Keys listed per kind of mismatch.

    Raises:
        CheckpointError: Naming the file and the first missing, unexpected
            and differently shaped keys.
    """
    state_dict = checkpoint.get('state_dict', checkpoint)
    mismatch = checkpoint_mismatch(model, state_dict)
    parts = []
    for kind, keys in mismatch.items():
        if keys:
            more = f' (and {len(keys) - max_keys} more)' \
                if len(keys) > max_keys else ''
            parts.append(f'{len(keys)} {kind} key(s): '
                         f'{", ".join(keys[:max_keys])}{more}')
    if parts:
        raise CheckpointError(
            filename, f'does not fit {type(model).__name__} (the weights '
            'of another model or config?): ' + '; '.join(parts))


def last_loaded_checkpoint() -> Optional[str]:
    """The local checkpoint file that the safe loader read last."""
    return _LAST_LOADED['path']


def load_from_local_weights_only(filename: str, map_location=None) -> dict:
    """MMEngine checkpoint loader for local paths (no URL scheme)."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    checkpoint = load_weights_only(filename, map_location)
    _LAST_LOADED['path'] = filename
    return checkpoint


def register_safe_checkpoint_loader() -> None:
    """Make MMEngine's local-file loader weights-only with the allow-list.

    This covers ``load_from``, ``--resume`` and ``tools/test.py`` (they all
    go through ``CheckpointLoader``). torch's global default stays
    ``weights_only=True``; nothing is added to its global allow-list.
    """
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_weights_only, force=True)
