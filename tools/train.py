"""Train an MCFA model (MMDetection 3.3's ``tools/train.py`` for mcfa-mm)."""
import argparse
import logging
import os
import os.path as osp
from typing import List, Optional

from mmengine.config import Config, DictAction
from mmengine.device import get_device
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmdet.utils import setup_cache_size_limit_of_dynamo

import mcfa_mm  # noqa: F401  (registers the MCFA components)
from mcfa_mm.utils.distributed import setup_cpu_distributed


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments, the same as MMDetection's.

    Args:
        argv (list[str], optional): The arguments; ``sys.argv[1:]`` when
            None.

    Returns:
        argparse.Namespace: The parsed arguments.
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
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b '
        'It also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]" '
        'Note that the quotation marks are necessary and that no white space '
        'is allowed.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_config(args: argparse.Namespace) -> Config:
    """The config file with the command line applied, as MMDetection does.

    Args:
        args (argparse.Namespace): The output of :func:`parse_args`.

    Returns:
        Config: The config to build the runner from.

    Raises:
        RuntimeError: ``--amp`` without an accelerator (MMEngine's
            ``AmpOptimWrapper`` runs on CUDA, NPU, MLU or MUSA only) or with
            an optimizer wrapper other than ``OptimWrapper``;
            ``--auto-scale-lr`` with a config that has no ``auto_scale_lr``.
    """
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    # work_dir priority: CLI > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp:
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
        argv (list[str], optional): The arguments; ``sys.argv[1:]`` when
            None.
    """
    args = parse_args(argv)

    # Fewer dynamo recompilations when the config enables torch.compile.
    setup_cache_size_limit_of_dynamo()

    cfg = build_config(args)
    setup_cpu_distributed(cfg)

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)

    runner.train()


if __name__ == '__main__':
    main()
