"""Command-line arguments shared by the commands that run one face model:
``mcfa-faces`` (:mod:`mcfa_mm.apis.face_cli`, also
``tools/demo/image_demo.py``), ``tools/demo/video_demo.py`` and
``tools/deployment/export_onnx.py``: the arguments that name the model and
how it predicts, and loading that model.

It lives in :mod:`mcfa_mm.apis` (it loads models) rather than in
:mod:`mcfa_mm.utils`, which imports nothing from the layers above it.
"""
import argparse
from typing import Tuple, Type

import torch

from ..visualization.face_drawer import DEFAULT_MAX_SIDE
from .face_inferencer import FaceInferencer
from .inference import init_face_model

#: What loading a model raises when it cannot (a missing or unreadable
#: config or checkpoint, an unknown model name, a checkpoint that does not
#: fit the config).
MODEL_LOAD_ERRORS: Tuple[Type[Exception],
                         ...] = (OSError, KeyError, ValueError, RuntimeError)


def add_model_args(parser: argparse.ArgumentParser,
                   options: bool = True) -> None:
    """Add the positional ``config`` and ``checkpoint``, both optional.

    Without them the shipped model is loaded.

    Args:
        parser (argparse.ArgumentParser): The command's parser.
        options (bool): Also add ``--config`` and ``--checkpoint``, the same
            as the positional ones (``config_opt`` and ``checkpoint_opt``
            in the parsed arguments).
    """
    parser.add_argument(
        'config',
        nargs='?',
        help='config file or model name of configs/mcfa/metafile.yml '
        '(default: the shipped model)')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint file')
    if options:
        parser.add_argument(
            '--config',
            dest='config_opt',
            help='same as the positional config')
        parser.add_argument(
            '--checkpoint',
            dest='checkpoint_opt',
            help='same as the positional checkpoint')


def add_prediction_args(parser: argparse.ArgumentParser,
                        mode_help: str,
                        topk: int,
                        topk_help: str,
                        vis_max_side: bool = True) -> None:
    """Add ``--device``, ``--mode``, ``--pred-score-thr`` (alias
    ``--score-thr``, ``score_thr`` in the parsed arguments), ``--attr-thr``,
    ``--topk`` and ``--vis-max-side``.

    Args:
        parser (argparse.ArgumentParser): The command's parser.
        mode_help (str): Help of ``--mode`` (``crop`` or ``cascade``; None
            leaves the model's own mode, see :func:`init_face_model`).
        topk (int): Default of ``--topk``, the attributes shown per face.
        topk_help (str): Help of ``--topk``.
        vis_max_side (bool): Add ``--vis-max-side`` (commands that write
            pictures; a video keeps its frame size).
    """
    parser.add_argument(
        '--device',
        default='cuda:0' if torch.cuda.is_available() else 'cpu',
        help='device used for inference')
    parser.add_argument('--mode', choices=['crop', 'cascade'], help=mode_help)
    parser.add_argument(
        '--pred-score-thr',
        '--score-thr',
        dest='score_thr',
        type=float,
        default=0.3,
        help='face score threshold')
    parser.add_argument(
        '--attr-thr',
        type=float,
        default=None,
        help='attribute probability above which an attribute is drawn '
        "(default: the model's decisions, at the thresholds published with "
        'its checkpoint, else 0.5)')
    parser.add_argument('--topk', type=int, default=topk, help=topk_help)
    if not vis_max_side:
        return
    parser.add_argument(
        '--vis-max-side',
        type=int,
        default=DEFAULT_MAX_SIDE,
        help='longer side of the drawn pictures in pixels; smaller photos '
        'keep their size, 0 draws at full size (the JSON is always in the '
        'photo\'s pixels)')


def model_args(args: argparse.Namespace) -> Tuple[str, str]:
    """The config (or model name) and checkpoint the arguments name.

    Args:
        args (argparse.Namespace): ``config`` and ``checkpoint``, and
            ``config_opt`` / ``checkpoint_opt`` (they win) where the command
            has them.

    Returns:
        tuple[str, str]: Either may be None (the shipped model; its own
        weights).
    """
    return (getattr(args, 'config_opt', None) or args.config,
            getattr(args, 'checkpoint_opt', None) or args.checkpoint)


def face_inferencer_from_args(args: argparse.Namespace) -> FaceInferencer:
    """The :class:`FaceInferencer` of the model the arguments name.

    Args:
        args (argparse.Namespace): As :func:`model_args`, plus ``device``
            and ``mode``.

    Returns:
        FaceInferencer: Without its own progress bar (the commands print
        their own).
    """
    config, checkpoint = model_args(args)
    return FaceInferencer(config, checkpoint, device=args.device,
                          mode=args.mode, show_progress=False)


def load_face_model(args: argparse.Namespace,
                    predict_only: bool = True) -> torch.nn.Module:
    """The model that the arguments of :func:`add_model_args` name.

    Args:
        args (argparse.Namespace): As :func:`model_args`, plus ``device``
            and ``mode`` where the command has it.
        predict_only (bool): As :func:`init_face_model`'s.

    Returns:
        torch.nn.Module: The MCFA of :func:`init_face_model`.

    Raises:
        OSError | KeyError | ValueError | RuntimeError: The model cannot be
            loaded (:data:`MODEL_LOAD_ERRORS`).
    """
    config, checkpoint = model_args(args)
    return init_face_model(
        config,
        checkpoint,
        device=args.device,
        mode=getattr(args, 'mode', None),
        predict_only=predict_only)


__all__ = [
    'MODEL_LOAD_ERRORS', 'add_model_args', 'add_prediction_args', 'model_args',
    'face_inferencer_from_args', 'load_face_model'
]
