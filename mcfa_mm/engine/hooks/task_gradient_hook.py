"""Log which task drives training: gradient-norm shares at the shared trunk."""
from collections import defaultdict
from typing import Dict, List, Optional

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import Tensor

from mmdet.registry import HOOKS
from ...models.losses.task_weighting import task_of

DATA_BATCH = Optional[dict]


def task_gradient_norms(model: torch.nn.Module, data_batch: dict,
                        trunk: str = 'backbone') -> Dict[str, float]:
    """Norm of each task's gradient on the parameters of ``model.<trunk>``.

    Runs one extra forward of ``data_batch`` (losses as the model returns
    them, i.e. with every weighting applied) and one backward per task; the
    losses of a task are summed over stages. Buffers (BatchNorm statistics,
    running loss averages) are restored afterwards, so training is not
    changed by the measurement.

    Args:
        model (nn.Module): A detector with ``data_preprocessor`` and
            ``loss``, unwrapped.
        data_batch (dict): A batch from the train dataloader.
        trunk (str): Attribute of ``model`` shared by every task.

    Returns:
        dict[str, float]: ``{task: ||d L_task / d theta_trunk||}``, for
        the tasks whose loss depends on the trunk.
    """
    params = [p for p in getattr(model, trunk).parameters() if p.requires_grad]
    # buffers may also be replaced (not only updated) by a forward, e.g.
    # the attribute loss's last weights: save and put back every slot
    saved = [(module, {
        name: None if buf is None else buf.clone()
        for name, buf in module._buffers.items()
    }) for module in model.modules()]
    try:
        data = model.data_preprocessor(data_batch, True)
        losses = model.loss(data['inputs'], data['data_samples'])
        per_task: Dict[str, List[Tensor]] = defaultdict(list)
        for name, value in losses.items():
            if 'loss' in name and isinstance(value, Tensor) and \
                    value.requires_grad and 'uncertainty' not in name:
                per_task[task_of(name)].append(value)
        norms = {}
        for task, values in per_task.items():
            grads = torch.autograd.grad(
                torch.stack(values).sum(), params, retain_graph=True,
                allow_unused=True)
            squared = [g.pow(2).sum() for g in grads if g is not None]
            if squared:
                norms[task] = float(torch.stack(squared).sum().sqrt())
    finally:
        for module, buffers in saved:
            module._buffers.update(buffers)
    return norms


@HOOKS.register_module()
class TaskGradientShareHook(Hook):
    """Log each task's share of the gradient norm at the shared trunk.

    Every ``interval`` training iterations, measures
    ``||d L_task / d theta||`` on the trunk's parameters ``theta`` (the
    backbone: the VGG slices every task shares) with
    :func:`task_gradient_norms`, and puts ``train/grad_share/<task>``
    (norm over the sum of norms; the shares add up to 1) and
    ``train/grad_norm/<task>`` into the message hub. The ``LoggerHook``
    writes them to the text and JSON logs, and
    ``tools/analysis_tools/plot_logs.py`` draws the shares.

    A share near 1 means one task decides where the shared features go.
    The measurement costs one forward and one backward per task, hence
    the interval.

    Args:
        interval (int): Measure every ``interval`` iterations.
        trunk (str): The model attribute that holds the shared parameters.
    """

    priority = 'NORMAL'

    def __init__(self, interval: int = 50, trunk: str = 'backbone') -> None:
        if interval <= 0:
            raise ValueError(f'interval must be positive, got {interval}')
        self.interval = interval
        self.trunk = trunk

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        """Measure and log the shares on this iteration's batch."""
        if data_batch is None or not self.every_n_train_iters(
                runner, self.interval):
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        norms = task_gradient_norms(model, data_batch, self.trunk)
        total = sum(norms.values())
        for task, norm in norms.items():
            runner.message_hub.update_scalar(f'train/grad_norm/{task}', norm)
            runner.message_hub.update_scalar(
                f'train/grad_share/{task}', norm / total if total else 0.0)
