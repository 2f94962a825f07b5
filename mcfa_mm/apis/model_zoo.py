"""The models that ship with mcfa-mm, as listed in its metafile.

``configs/mcfa/metafile.yml`` follows OpenMMLab's model-index format: each
entry of ``Models`` has a ``Name``, a ``Config`` and its ``Weights``, both
paths relative to the folder that holds ``configs/`` (the weights ship with
the package, under ``checkpoints/``, rather than behind a URL).

That folder is the checkout for an editable install (``pip install -e .``)
and ``mcfa_mm/.mim`` for an installed wheel, where ``setup.py`` copies
``configs/``, ``tools/``, ``checkpoints/`` and ``model-index.yml`` (the
layout OpenMMLab packages use, and that ``mim`` reads).
"""
import os.path as osp
from typing import List, Optional, Tuple

from mmengine.fileio import load

#: The folder of the ``mcfa_mm`` package.
PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _resources_root() -> str:
    """The folder holding ``configs/``, ``checkpoints/`` and ``tools/``.

    The checkout wins when there is one: after ``pip wheel .`` in a checkout
    ``mcfa_mm/.mim`` holds copies, which go stale as the checkout changes.
    """
    checkout = osp.dirname(PACKAGE_DIR)
    if osp.isfile(osp.join(checkout, 'configs', 'mcfa', 'metafile.yml')):
        return checkout
    return osp.join(PACKAGE_DIR, '.mim')


#: Where the shipped configs, checkpoints and tools are (see above).
RESOURCES_ROOT = _resources_root()
#: The metafile that lists the shipped models.
METAFILE = osp.join(RESOURCES_ROOT, 'configs', 'mcfa', 'metafile.yml')
#: The model :func:`get_model` and ``init_face_model()`` use by default.
DEFAULT_MODEL = 'mcfa-recipe_vgg16-w025-128px_bf16_celeba-extra-multisource'


def _root_of(metafile: str) -> str:
    """The root of ``<root>/configs/<algo>/metafile.yml``."""
    return osp.dirname(osp.dirname(osp.dirname(osp.abspath(metafile))))


def load_metafile(metafile: Optional[str] = None) -> List[dict]:
    """The ``Models`` entries of a metafile.

    Args:
        metafile (str, optional): Path of the metafile; the shipped
            ``configs/mcfa/metafile.yml`` (:data:`METAFILE`) by default.

    Returns:
        list[dict]: The model entries, as written.

    Raises:
        FileNotFoundError: The metafile does not exist (a package built
            without its data files).
        ValueError: The file has no ``Models`` list.
    """
    metafile = metafile or METAFILE
    if not osp.isfile(metafile):
        raise FileNotFoundError(
            f'{metafile}: model zoo metafile not found; this mcfa_mm was '
            'installed without its configs and checkpoints (install the '
            'wheel, or pip install -e . from a clone)')
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
            by default the one holding the metafile's ``configs/`` (three
            levels above ``configs/mcfa/metafile.yml``).

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


def get_config_file(name: str) -> str:
    """Absolute path of a shipped config, from any working directory.

    Args:
        name (str): Path under ``configs/``, e.g.
            ``'mcfa/mcfa-recipe_vgg16-w025-128px_cascade_wild.py'`` (a
            leading ``configs/`` is accepted).

    Returns:
        str: The config file, in the checkout or in ``mcfa_mm/.mim``.

    Raises:
        FileNotFoundError: No such config ships.
    """
    relative = name[len('configs/'):] if name.startswith('configs/') \
        else name
    path = osp.join(RESOURCES_ROOT, 'configs', relative)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such config ships with mcfa_mm')
    return path
