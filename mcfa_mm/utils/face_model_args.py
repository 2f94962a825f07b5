"""What the tools that run one face model share (``tools/demo/*.py`` and
``tools/deployment/export_onnx.py``): the arguments that name the model and
how it predicts, loading that model, and the visualizer that draws its
faces.

Not imported by :mod:`mcfa_mm.utils` itself: it needs :mod:`mcfa_mm.apis`,
which imports :mod:`mcfa_mm.utils`.
"""
import argparse
import time
from typing import Tuple, Type

import torch
from mmengine.visualization import Visualizer

from mmdet.registry import VISUALIZERS
from ..apis import init_face_model

#: What :func:`load_face_model` raises for a model it cannot load (a
#: missing or unreadable config or checkpoint, an unknown model name, a
#: checkpoint that does not fit the config).
MODEL_LOAD_ERRORS: Tuple[Type[Exception], ...] = (OSError, KeyError,
                                                  ValueError, RuntimeError)


def add_model_args(parser: argparse.ArgumentParser,
                   options: bool = True) -> None:
    """Add the positional ``config`` and ``checkpoint``, both optional.

    Without them :func:`load_face_model` loads the shipped model.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
        options (bool): Also add ``--config`` and ``--checkpoint``, the same
            as the positional ones (``config_opt`` and ``checkpoint_opt``
            in the parsed arguments).
    """
    parser.add_argument(
        'config', nargs='?',
        help='config file or model name of configs/mcfa/metafile.yml '
        '(default: the shipped model)')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint file')
    if options:
        parser.add_argument('--config', dest='config_opt',
                            help='same as the positional config')
        parser.add_argument('--checkpoint', dest='checkpoint_opt',
                            help='same as the positional checkpoint')


def add_prediction_args(parser: argparse.ArgumentParser, mode_help: str,
                        topk: int, topk_help: str) -> None:
    """Add ``--device``, ``--mode``, ``--pred-score-thr`` (alias
    ``--score-thr``, ``score_thr`` in the parsed arguments), ``--attr-thr``
    and ``--topk``.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
        mode_help (str): Help of ``--mode`` (``crop`` or ``cascade``; None
            leaves the model's own mode, see :func:`init_face_model`).
        topk (int): Default of ``--topk``, the attributes shown per face.
        topk_help (str): Help of ``--topk``.
    """
    parser.add_argument(
        '--device',
        default='cuda:0' if torch.cuda.is_available() else 'cpu',
        help='device used for inference')
    parser.add_argument('--mode', choices=['crop', 'cascade'],
                        help=mode_help)
    parser.add_argument(
        '--pred-score-thr', '--score-thr', dest='score_thr', type=float,
        default=0.3, help='face score threshold')
    parser.add_argument(
        '--attr-thr', type=float, default=0.5,
        help='attribute probability above which an attribute is drawn')
    parser.add_argument('--topk', type=int, default=topk, help=topk_help)


def load_face_model(args: argparse.Namespace) -> torch.nn.Module:
    """The model that the arguments of :func:`add_model_args` name.

    Args:
        args (argparse.Namespace): ``config``, ``checkpoint`` and
            ``device``; ``config_opt``, ``checkpoint_opt`` (they win over
            the positional ones) and ``mode`` where the tool has them.

    Returns:
        torch.nn.Module: The MCFA of :func:`init_face_model`.

    Raises:
        OSError | KeyError | ValueError | RuntimeError: The model cannot be
            loaded (:data:`MODEL_LOAD_ERRORS`).
    """
    return init_face_model(
        getattr(args, 'config_opt', None) or args.config,
        getattr(args, 'checkpoint_opt', None) or args.checkpoint,
        device=args.device,
        mode=getattr(args, 'mode', None))


def build_face_visualizer(model: torch.nn.Module, name: str, topk: int,
                          attr_thr: float) -> Visualizer:
    """A ``FaceVisualizer`` for the faces of ``model``.

    Args:
        model (torch.nn.Module): The model of :func:`load_face_model`; its
            ``dataset_meta`` names the attributes.
        name (str): Prefix of the instance name, made unique with the time
            (MMEngine keeps one visualizer per name).
        topk (int): Attributes drawn per face.
        attr_thr (float): Probability above which an attribute is drawn.

    Returns:
        Visualizer: The visualizer, its ``dataset_meta`` the model's.
    """
    visualizer = VISUALIZERS.build(
        dict(type='FaceVisualizer', name=f'{name}_{time.time_ns()}',
             attr_topk=topk, attr_score_thr=attr_thr))
    visualizer.dataset_meta = model.dataset_meta
    return visualizer


__all__ = [
    'MODEL_LOAD_ERRORS', 'add_model_args', 'add_prediction_args',
    'load_face_model', 'build_face_visualizer'
]
