"""What ``tools/train.py`` and ``tools/test.py`` share: the launcher
arguments, the config with the command line applied, and the runner."""
import argparse
import os
import os.path as osp
from typing import Callable, List, Optional

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmdet.utils import setup_cache_size_limit_of_dynamo
from .distributed import setup_cpu_distributed


def parse_launcher_args(parser: argparse.ArgumentParser,
                        argv: Optional[List[str]] = None
                        ) -> argparse.Namespace:
    """Add ``--cfg-options``, ``--launcher`` and ``--local-rank``, parse.

    ``LOCAL_RANK`` is set from ``--local-rank`` when the environment does
    not have it (``torch.distributed.launch`` passes the argument, torchrun
    sets the variable).

    Args:
        parser (argparse.ArgumentParser): The tool's own arguments.
        argv (list[str], optional): The arguments; ``sys.argv[1:]`` when
            None.

    Returns:
        argparse.Namespace: The parsed arguments.
    """
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
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def load_tool_config(args: argparse.Namespace) -> Config:
    """``args.config`` with the launcher, ``--cfg-options`` and the work
    directory applied, as MMDetection's tools do.

    Args:
        args (argparse.Namespace): ``config``, ``launcher``,
            ``cfg_options`` and ``work_dir``.

    Returns:
        Config: The config; ``work_dir`` is the command line's, else the
        config's, else ``./work_dirs/<config name>``.
    """
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg


def build_tool_runner(
        args: argparse.Namespace,
        build_config: Callable[[argparse.Namespace], Config]) -> Runner:
    """The runner of the tool's config: ``runner_type``, else MMEngine's
    ``Runner``, after the CPU-only distributed setup.

    The dynamo cache limit is set first (fewer recompilations when the
    config enables ``torch.compile``), as MMDetection's tools do.

    Args:
        args (argparse.Namespace): The tool's parsed arguments.
        build_config (Callable[[argparse.Namespace], Config]): The tool's
            config from ``args``: :func:`load_tool_config` and the tool's
            own changes.

    Returns:
        Runner: The runner, ready to train or test.
    """
    setup_cache_size_limit_of_dynamo()
    cfg = build_config(args)
    setup_cpu_distributed(cfg)
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)


__all__ = ['parse_launcher_args', 'load_tool_config', 'build_tool_runner']
