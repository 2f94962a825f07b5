"""Train an MCFA model (MMDetection 3.3's ``tools/train.py`` for mcfa-mm)."""
import argparse
import logging
from typing import List, Optional

from mmengine.config import Config
from mmengine.device import get_device
from mmengine.logging import print_log
from mmengine.runner import find_latest_checkpoint

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
    parser.add_argument('--amp', action='store_true',
                        help='enable automatic-mixed-precision training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='enable automatically scaling LR.')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from the given checkpoint, or, without '
                        'a value, from the latest in the work directory')
    return parse_launcher_args(parser, argv)


def build_config(args: argparse.Namespace) -> Config:
    """The config file with the command line applied, as MMDetection does.

    ``--amp`` takes MMEngine's ``AmpOptimWrapper`` (fp16, dynamic loss
    scale) on an accelerator and :class:`~mcfa_mm.engine.CPUAmpOptimWrapper`
    (bfloat16 autocast, no loss scale) on the CPU, where the former refuses
    to run. ``--resume`` without a checkpoint looks for the work dir's
    latest here rather than in MMEngine's runner, which, finding none (a
    run killed before its first save), would start from random weights
    instead of the config's ``load_from`` (e.g. the model a fine-tune
    starts from).

    Args:
        args (argparse.Namespace): The output of :func:`parse_args`.

    Returns:
        Config: The config to build the runner from.

    Raises:
        RuntimeError: ``--amp`` with an optimizer wrapper other than
            ``OptimWrapper`` or the AMP wrapper of this device;
            ``--auto-scale-lr`` with a config that has no ``auto_scale_lr``.
    """
    cfg = load_tool_config(args)
    if args.amp:
        amp = 'CPUAmpOptimWrapper' if get_device() == 'cpu' else \
            'AmpOptimWrapper'
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper == 'OptimWrapper':
            cfg.optim_wrapper.type = amp
            if amp == 'AmpOptimWrapper':
                cfg.optim_wrapper.loss_scale = 'dynamic'
        elif wrapper == amp:
            print_log('AMP training is already enabled in your config.',
                      logger='current', level=logging.WARNING)
        else:
            raise RuntimeError(
                f'--amp needs the optimizer wrapper OptimWrapper (or {amp}, '
                f'the one that runs on {get_device()}), got {wrapper}')

    if args.auto_scale_lr:
        if not {'enable', 'base_batch_size'} <= set(
                cfg.get('auto_scale_lr', {})):
            raise RuntimeError('--auto-scale-lr needs "auto_scale_lr" with '
                               '"enable" and "base_batch_size" in the config')
        cfg.auto_scale_lr.enable = True

    # resume priority: an explicit checkpoint > the latest in work_dir
    if args.resume is not None:
        latest = args.resume if args.resume != 'auto' else \
            find_latest_checkpoint(cfg.work_dir)
        cfg.resume = latest is not None
        if latest is not None:
            cfg.load_from = latest
            print_log(f'--resume: resuming from {latest}', logger='current')
        else:
            print_log(
                f'--resume: no checkpoint in {cfg.work_dir} yet; starting '
                f"from load_from={cfg.get('load_from', None)}",
                logger='current', level=logging.WARNING)
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
