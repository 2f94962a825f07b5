"""Refuse a checkpoint of another model instead of half-loading it."""
import logging

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmdet.registry import HOOKS
from ...utils.checkpoint_safety import (CheckpointError,
                                        check_checkpoint_fits,
                                        last_loaded_checkpoint)


@HOOKS.register_module()
class CheckpointFitHook(Hook):
    """Check that ``load_from``, ``--resume`` and ``tools/test.py``'s
    checkpoint holds exactly the model's weights.

    MMEngine loads checkpoints with ``strict=False``: a checkpoint of
    another config (other widths, another number of attributes, a renamed
    layer) only logs a warning and leaves those weights random. This hook
    runs on ``after_load_checkpoint``, before the weights are copied, and
    raises :class:`~mcfa_mm.utils.checkpoint_safety.CheckpointError` naming
    the file and the first missing, unexpected and differently shaped keys.

    Args:
        strict (bool): Raise on a mismatch; False only logs it (e.g. to
            fine-tune from a model with another head on purpose).
            Defaults to True.
    """

    priority = 'VERY_HIGH'

    def __init__(self, strict: bool = True) -> None:
        self.strict = strict

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Compare the checkpoint with the runner's model.

        Args:
            runner (Runner): The runner.
            checkpoint (dict): The checkpoint being loaded.

        Raises:
            CheckpointError: The weights do not fit (``strict``).
        """
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        filename = last_loaded_checkpoint() or str(
            getattr(runner, '_load_from', None) or '<checkpoint>')
        try:
            check_checkpoint_fits(model, checkpoint, filename)
        except CheckpointError as error:
            if self.strict:
                raise
            print_log(str(error), logger='current', level=logging.WARNING)
