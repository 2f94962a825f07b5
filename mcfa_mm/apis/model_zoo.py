"""The models that ship with the repository, as listed in its metafile.

``configs/mcfa/metafile.yml`` follows OpenMMLab's model-index format: each
entry of ``Models`` has a ``Name``, a ``Config`` and its ``Weights``, both
paths relative to the repository root (the weights live in the repository,
under ``checkpoints/``, rather than behind a URL).
"""
import os.path as osp
from typing import List, Optional, Tuple

from mmengine.fileio import load

#: The repository that holds this package (an editable install).
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: The metafile that lists the shipped models.
METAFILE = osp.join(REPO_ROOT, 'configs', 'mcfa', 'metafile.yml')
#: The model :func:`get_model` and ``init_face_model()`` use by default.
DEFAULT_MODEL = 'mcfa-recipe_vgg16-w025-128px_celeba-multisource'


def _root_of(metafile: str) -> str:
    """The repository root of ``<root>/configs/<algo>/metafile.yml``."""
    return osp.dirname(osp.dirname(osp.dirname(osp.abspath(metafile))))


def load_metafile(metafile: Optional[str] = None) -> List[dict]:
    """The ``Models`` entries of a metafile.

    Args:
        metafile (str, optional): Path of the metafile; the repository's
            ``configs/mcfa/metafile.yml`` by default.

    Returns:
        list[dict]: The model entries, as written.

    Raises:
        FileNotFoundError: The metafile does not exist (e.g. mcfa_mm was
            installed without its repository).
        ValueError: The file has no ``Models`` list.
    """
    metafile = metafile or METAFILE
    if not osp.isfile(metafile):
        raise FileNotFoundError(
            f'{metafile}: model zoo metafile not found; the shipped models '
            'need the mcfa-mm repository (pip install -e . from a clone)')
    content = load(metafile)
    models = content.get('Models') if isinstance(content, dict) else None
    if not isinstance(models, list):
        raise ValueError(f'{metafile}: no "Models:" list')
    return models


def list_models(metafile: Optional[str] = None) -> List[str]:
    """Names of the models in the metafile.

    Args:
        metafile (str, optional): As :func:`load_metafile`.

    Returns:
        list[str]: Every ``Name``, in file order.
    """
    return [entry.get('Name') for entry in load_metafile(metafile)]


def get_model(name: Optional[str] = None,
              metafile: Optional[str] = None,
              root: Optional[str] = None) -> Tuple[str, str]:
    """Config and weights of a shipped model.

    Args:
        name (str, optional): The model's ``Name`` in the metafile;
            :data:`DEFAULT_MODEL` by default.
        metafile (str, optional): As :func:`load_metafile`.
        root (str, optional): Folder the metafile's paths are relative to;
            by default the repository holding the metafile (three levels
            above ``configs/mcfa/metafile.yml``).

    Returns:
        tuple[str, str]: Absolute paths of the config and the weights.

    Raises:
        KeyError: No model of that name (the message lists the known ones).
        ValueError: The entry lacks ``Config`` or ``Weights``.
        FileNotFoundError: The config or the weights file is missing.
    """
    name = name or DEFAULT_MODEL
    metafile = metafile or METAFILE
    root = root or _root_of(metafile)
    models = load_metafile(metafile)
    entry = next((m for m in models if m.get('Name') == name), None)
    if entry is None:
        known = ', '.join(str(m.get('Name')) for m in models) or 'none'
        raise KeyError(f'{metafile}: no model named {name!r} '
                       f'(known: {known})')
    paths = []
    for key in ('Config', 'Weights'):
        if not entry.get(key):
            raise ValueError(f'{metafile}: model {name!r} has no {key}')
        path = osp.join(root, entry[key])
        if not osp.isfile(path):
            what = ('its weights file' if key == 'Weights' else
                    'its config file')
            raise FileNotFoundError(
                f'{path}: {what} (model {name!r} of {metafile}) does not '
                'exist; retrain it with the config or pass config= and '
                'checkpoint= explicitly')
        paths.append(path)
    return paths[0], paths[1]
