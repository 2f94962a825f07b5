"""Test an MCFA model (MMDetection 3.3's ``tools/test.py`` for mcfa-mm)."""
import argparse
from typing import List, Optional

from mmengine.config import Config, ConfigDict

from mmdet.engine.hooks.utils import trigger_visualization_hook
from mmdet.evaluation import DumpDetResults

import mcfa_mm  # noqa: F401  (registers the MCFA components)
from mcfa_mm.utils.tool_args import (build_tool_runner, load_tool_config,
                                     parse_launcher_args)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments, the same as MMDetection's.

    Args:
        argv (list[str], optional): The arguments; ``sys.argv[1:]`` if None.

    Returns:
        argparse.Namespace: ``config``, ``checkpoint``, ``work_dir``,
        ``out``, ``show``, ``show_dir``, ``wait_time``, ``tta`` and the
        launcher arguments of :func:`parse_launcher_args`.
    """
    parser = argparse.ArgumentParser(
        description='Test (and evaluate) an MCFA model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='the directory to save the file containing evaluation metrics')
    parser.add_argument(
        '--out',
        type=str,
        help='dump predictions to a pickle file for offline evaluation')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where painted images will be saved. '
        'If specified, it will be automatically saved '
        'to the work_dir/timestamp/show_dir')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test time augmentation with the config\'s tta_model and '
        'tta_pipeline')
    return parse_launcher_args(parser, argv)


def build_config(args: argparse.Namespace) -> Config:
    """The config file with the command line applied, as MMDetection does.

    Args:
        args (argparse.Namespace): The output of :func:`parse_args`.

    Returns:
        Config: The config with the checkpoint, ``--show`` /
        ``--show-dir`` and ``--tta`` applied, to build the runner from.

    Raises:
        RuntimeError: ``--tta`` with a config that has no ``tta_model`` or
            ``tta_pipeline``.
    """
    cfg = load_tool_config(args)

    cfg.load_from = args.checkpoint

    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)

    if args.tta:
        # MMDetection falls back to DetTTAModel and a PackDetInputs
        # pipeline here; both would drop the landmarks and attributes, so
        # MCFA configs must say how to merge augmented faces.
        for key in ('tta_model', 'tta_pipeline'):
            if key not in cfg:
                raise RuntimeError(
                    f'--tta needs `{key}` in the config: mmdet\'s default '
                    '(DetTTAModel + PackDetInputs) would drop the landmarks '
                    'and attribute scores of MCFA.')
        cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    return cfg


def main(argv: Optional[List[str]] = None) -> None:
    """Build the runner from the config and the arguments, then test.

    Args:
        argv (list[str], optional): The arguments; ``sys.argv[1:]`` if None.
    """
    args = parse_args(argv)
    runner = build_tool_runner(args, build_config)

    # Dump the predictions next to the metrics (a dummy metric).
    if args.out is not None:
        assert args.out.endswith(('.pkl', '.pickle')), \
            'The dump file must be a pkl file.'
        runner.test_evaluator.metrics.append(
            DumpDetResults(out_file_path=args.out))

    runner.test()


if __name__ == '__main__':
    main()
