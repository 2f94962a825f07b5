"""Train an MCFA model (MMDetection 3.3's ``tools/train.py`` for mcfa-mm)."""
import argparse
import logging
from typing import List, Optional

from mmengine.config import Config
from mmengine.device import get_device
from mmengine.logging import print_log

import mcfa_mm  # noqa: F401  (registers the MCFA components)
from mcfa_mm.utils.tool_args import (build_tool_runner, load_tool_config,
                                     parse_launcher_args)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments, the same as MMDetection's.

    Args:
        argv (list[str], optional): The arguments; ``sys.argv[1:]`` if None.

    Returns:
        argparse.Namespace: The training switches ``amp``,
        ``auto_scale_lr`` and ``resume``, besides ``config``, ``work_dir``
        and the launcher arguments of :func:`parse_launcher_args`.
    """
    parser = argparse.ArgumentParser(description='Train an MCFA model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='enable automatically scaling LR.')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or, without a value, from '
        'the latest checkpoint in the work directory')
    return parse_launcher_args(parser, argv)


def _enable_amp(cfg: Config) -> None:
    """``--amp``: train with MMEngine's ``AmpOptimWrapper``, as MMDetection
    does.

    Args:
        cfg (Config): The config; its ``optim_wrapper`` changes in place.

    Raises:
        RuntimeError: No accelerator (``AmpOptimWrapper`` runs on CUDA,
            NPU, MLU or MUSA only), or an optimizer wrapper other than
            ``OptimWrapper``.
    """
    if get_device() == 'cpu':
        raise RuntimeError(
            '--amp needs a GPU (or NPU / MLU / MUSA): MMEngine\'s '
            'AmpOptimWrapper does not run on the CPU')
    optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if optim_wrapper == 'AmpOptimWrapper':
        print_log(
            'AMP training is already enabled in your config.',
            logger='current',
            level=logging.WARNING)
    elif optim_wrapper != 'OptimWrapper':
        raise RuntimeError(
            '`--amp` is only supported when the optimizer wrapper type is '
            f'`OptimWrapper` but got {optim_wrapper}.')
    else:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'


def build_config(args: argparse.Namespace) -> Config:
    """The config file with the command line applied, as MMDetection does.

    Args:
        args (argparse.Namespace): The output of :func:`parse_args`.

    Returns:
        Config: The config with ``--amp``, ``--auto-scale-lr`` and
        ``--resume`` applied, to build the runner from.

    Raises:
        RuntimeError: ``--amp`` without an accelerator (MMEngine's
            ``AmpOptimWrapper`` runs on CUDA, NPU, MLU or MUSA only) or with
            an optimizer wrapper other than ``OptimWrapper``;
            ``--auto-scale-lr`` with a config that has no ``auto_scale_lr``.
    """
    cfg = load_tool_config(args)

    if args.amp:
        _enable_amp(cfg)

    if args.auto_scale_lr:
        if ('auto_scale_lr' in cfg and 'enable' in cfg.auto_scale_lr
                and 'base_batch_size' in cfg.auto_scale_lr):
            cfg.auto_scale_lr.enable = True
        else:
            raise RuntimeError('Can not find "auto_scale_lr" or '
                               '"auto_scale_lr.enable" or '
                               '"auto_scale_lr.base_batch_size" in your'
                               ' configuration file.')

    # resume priority: an explicit checkpoint > the latest in work_dir
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def main(argv: Optional[List[str]] = None) -> None:
    """Build the runner from the config and the arguments, then train.

    Args:
        argv (list[str], optional): The arguments; ``sys.argv[1:]`` if None.
    """
    runner = build_tool_runner(parse_args(argv), build_config)
    runner.train()


if __name__ == '__main__':
    main()
