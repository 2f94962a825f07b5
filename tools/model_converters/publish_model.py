"""Turn a training checkpoint into a model-zoo file, as OpenMMLab does.

Keeps only the weights (``state_dict``) and a small ``meta``: the dataset
meta (the 40 attribute names, landmark names and flip pairs, and with
``--attribute-thresholds`` the per-attribute decision thresholds), the name
of the config it was trained with, the iteration and the library versions.
The optimizer state and the message hub go. Every value is a tensor or a
plain Python type, so the file loads with ``torch.load(weights_only=True)``
without any allow-list. The file is named
``<model name>_<YYYYMMDD>-<first 8 hex of its sha256>.pth``.

The thresholds go to ``meta['dataset_meta']['attribute_thresholds']`` as
``{name: threshold}``: ``init_detector`` and ``DetInferencer`` copy
``dataset_meta`` into ``model.dataset_meta``, where
:func:`mcfa_mm.apis.inference_faces` and ``FaceInferencer`` read them to
decide each attribute (0.5 for a checkpoint without them).

Example:
    python tools/model_converters/publish_model.py \
        work_dirs/recipe_main/iter_4500.pth checkpoints/ \
        --name mcfa-recipe_vgg16-w025-128px_celeba-multisource \
        --config configs/mcfa/mcfa-recipe_vgg16-w025-128px_1xb32-4500i_celeba-multisource.py \
        --attribute-thresholds work_dirs/recipe_main/celeba_val_thresholds.json
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import time
from typing import Any, Dict, List, Optional, Sequence, Union

import torch

import mcfa_mm
from mcfa_mm.apis import normalize_attribute_thresholds
from mcfa_mm.datasets.metainfo import CELEBA_ATTRIBUTES, face_metainfo
from mcfa_mm.utils import load_weights_only


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('in_file', help='a training checkpoint')
    parser.add_argument('out_dir', help='where the published file goes')
    parser.add_argument('--name', required=True, help='model name')
    parser.add_argument('--config', required=True,
                        help='the config the model was trained with')
    parser.add_argument('--attribute-thresholds', metavar='JSON',
                        help='per-attribute decision thresholds fitted on '
                        'validation (see read_thresholds)')
    return parser.parse_args(argv)


def read_thresholds(path: str) -> Union[Dict[str, float], Sequence[float]]:
    """The thresholds of a JSON file, by name when it names them.

    Args:
        path (str): ``{"attribute_names": [...], "thresholds": [...]}``
            (the file ``AttributeAccuracy(fit_thresholds_to=...)`` writes,
            whose thresholds maximise each attribute's balanced accuracy),
            ``{name: threshold}`` or a list in attribute order.

    Returns:
        dict[str, float] | list[float]: As the file holds them; checked by
        :func:`normalize_attribute_thresholds` when published.

    Raises:
        ValueError: The file is not JSON.
    """
    with open(path) as file:
        try:
            content = json.load(file)
        except json.JSONDecodeError as error:
            raise ValueError(f'{path}: not JSON ({error})') from error
    if isinstance(content, dict) and 'thresholds' in content:
        names, values = content.get('attribute_names'), content['thresholds']
        # names and values of different lengths leave names missing
        return values if names is None else dict(zip(names, values))
    return content


def plain(value: Any) -> Any:
    """Tuples, lists and dicts of plain Python values (no numpy)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    if hasattr(value, 'tolist'):
        return value.tolist()
    return value


def publish(in_file: str, out_dir: str, name: str, config: str,
            attribute_thresholds: Optional[Union[Dict[str, float],
                                                 Sequence[float]]] = None
            ) -> str:
    """Write the published checkpoint and return its path.

    Args:
        in_file (str): Training checkpoint (loaded weights-only).
        out_dir (str): Output folder.
        name (str): Model name, the file name's prefix.
        config (str): The training config (stored as a repository path).
        attribute_thresholds (dict | list, optional): One decision
            threshold per attribute (by name, or in attribute order),
            stored as ``{name: threshold}`` in the dataset meta.

    Returns:
        str: The written file.

    Raises:
        ValueError: The thresholds do not fit the attribute names.
    """
    checkpoint = load_weights_only(in_file)
    old_meta = checkpoint.get('meta', {})
    dataset_meta = dict(old_meta.get('dataset_meta') or {})
    dataset_meta.pop('cumulative_sizes', None)
    if 'attribute_names' not in dataset_meta or len(
            dataset_meta['attribute_names']) != len(CELEBA_ATTRIBUTES):
        dataset_meta = face_metainfo(list(CELEBA_ATTRIBUTES))
    if attribute_thresholds is not None:
        dataset_meta['attribute_thresholds'] = normalize_attribute_thresholds(
            attribute_thresholds, dataset_meta['attribute_names'],
            'attribute thresholds')
    state_dict = {
        key: value.detach().clone().contiguous()
        for key, value in checkpoint['state_dict'].items()
    }
    meta = plain(dict(
        dataset_meta=dataset_meta, config=config, model_name=name,
        iter=old_meta.get('iter'), epoch=old_meta.get('epoch'),
        mcfa_mm_version=mcfa_mm.__version__,
        torch_version=str(torch.__version__)))
    os.makedirs(out_dir, exist_ok=True)
    tmp_file = osp.join(out_dir, f'.{name}.tmp')
    torch.save(dict(state_dict=state_dict, meta=meta), tmp_file)
    with open(tmp_file, 'rb') as file:
        digest = hashlib.sha256(file.read()).hexdigest()
    out_file = osp.join(out_dir,
                        f'{name}_{time.strftime("%Y%m%d")}-{digest[:8]}.pth')
    os.replace(tmp_file, out_file)
    return out_file


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    thresholds = args.attribute_thresholds
    out_file = publish(args.in_file, args.out_dir, args.name, args.config,
                       read_thresholds(thresholds) if thresholds else None)
    with open(out_file, 'rb') as file:
        digest = hashlib.sha256(file.read()).hexdigest()
    print(f'{out_file}\nsha256 {digest}\nsize '
          f'{osp.getsize(out_file) / 2**20:.2f} MiB')


if __name__ == '__main__':
    main()
