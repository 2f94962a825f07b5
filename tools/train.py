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
    """``--amp``: train with mixed precision, as MMDetection does.

    On an accelerator MMEngine's ``AmpOptimWrapper`` (fp16 with a dynamic
    loss scale); on the CPU, where that wrapper refuses to run,
    :class:`~mcfa_mm.engine.CPUAmpOptimWrapper` (bfloat16 autocast, fp32
    weights, no loss scale).

    Args:
        cfg (Config): The config; its ``optim_wrapper`` changes in place.

    Raises:
        RuntimeError: An optimizer wrapper other than ``OptimWrapper``.
    """
    amp_wrapper = ('CPUAmpOptimWrapper'
                   if get_device() == 'cpu' else 'AmpOptimWrapper')
    optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if optim_wrapper in ('AmpOptimWrapper', 'CPUAmpOptimWrapper'):
        print_log(
            'AMP training is already enabled in your config.',
            logger='current',
            level=logging.WARNING)
        if optim_wrapper != amp_wrapper:
            raise RuntimeError(
                f'the config asks for {optim_wrapper}, which cannot run on '
                f'this device ({get_device()}); use {amp_wrapper}')
    elif optim_wrapper != 'OptimWrapper':
        raise RuntimeError(
            '`--amp` is only supported when the optimizer wrapper type is '
            f'`OptimWrapper` but got {optim_wrapper}.')
    else:
        cfg.optim_wrapper.type = amp_wrapper
        if amp_wrapper == 'AmpOptimWrapper':
            cfg.optim_wrapper.loss_scale = 'dynamic'


def build_config(args: argparse.Namespace) -> Config:
    """The config file with the command line applied, as MMDetection does.

    Args:
        args (argparse.Namespace): The output of :func:`parse_args`.

    Returns:
        Config: The config with ``--amp``, ``--auto-scale-lr`` and
        ``--resume`` applied, to build the runner from.

    Raises:
        RuntimeError: ``--amp`` with an optimizer wrapper other than
            ``OptimWrapper``;
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
        _resume_latest(cfg)
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def _resume_latest(cfg: Config) -> None:
    """``--resume`` without a value: the latest checkpoint of the work dir.

    MMEngine's runner looks for that checkpoint itself when given
    ``resume=True`` and no ``load_from``, but with none there yet (a run
    killed before its first save; the fine-tunes save only at the end) it
    starts from random weights, the config's ``load_from`` (the model to
    fine-tune) having been cleared to ask for the search. So the search
    is done here, as the runner does it (the work dir's
    ``last_checkpoint``): found, training resumes from that checkpoint;
    not found, training starts as it would without ``--resume``, from the
    config's ``load_from``.

    Args:
        cfg (Config): The config with its ``work_dir``; ``resume`` and
            ``load_from`` change in place.
    """
    latest = find_latest_checkpoint(cfg.work_dir)
    if latest is not None:
        cfg.resume = True
        cfg.load_from = latest
        print_log(
            f'--resume: resuming from {latest}, the latest checkpoint in '
            f'{cfg.work_dir}',
            logger='current')
        return
    cfg.resume = False
    load_from = cfg.get('load_from', None)
    print_log(
        f'--resume: no checkpoint in {cfg.work_dir} yet, so nothing to '
        'resume; starting ' + (f'from load_from={load_from}'
                               if load_from else 'from scratch'),
        logger='current',
        level=logging.WARNING)


def main(argv: Optional[List[str]] = None) -> None:
    """Build the runner from the config and the arguments, then train.

    Args:
        argv (list[str], optional): The arguments; ``sys.argv[1:]`` if None.
    """
    runner = build_tool_runner(parse_args(argv), build_config)
    runner.train()


if __name__ == '__main__':
    main()
