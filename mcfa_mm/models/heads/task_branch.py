"""Task outputs of one MCFA sub-network (paper, II-B and II-C)."""
from typing import Dict, Sequence

import torch.nn as nn
from torch import Tensor

#: Every task a stage can predict, and the channels of its output.
TASKS = ('face_cls', 'bbox', 'landmark', 'attribute')
_TASK_CHANNELS = {'face_cls': 2, 'bbox': 4, 'landmark': 10}


class StageTaskBranch(nn.Module):
    """Two layers after the shared feature, then one output layer per task.

    S_Net's branch uses 1x1 convs (it stays fully convolutional), M_Net's
    and L_Net's use fc layers, as in the paper. The dynamic-weight layer
    (Eq. 6) reads the shared feature ``x`` itself, not the two layers.

    Args:
        in_channels (int): Width of the stage's shared feature.
        hidden_channels (int): Width of the two layers.
        num_attributes (int): d, the number of attributes.
        tasks (Sequence[str]): Subset of :data:`TASKS` to predict.
        fully_convolutional (bool): Use 1x1 convs (S_Net) instead of fc.
        with_dynamic_weights (bool): Build the weight layer ``W^T x + b``.
        detach_weight_input (bool): Feed the weight layer a detached ``x``
            (no gradient from it into the shared feature).
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 num_attributes: int,
                 tasks: Sequence[str] = TASKS,
                 fully_convolutional: bool = False,
                 with_dynamic_weights: bool = True,
                 detach_weight_input: bool = False) -> None:
        super().__init__()
        unknown = set(tasks) - set(TASKS)
        if unknown:
            raise ValueError(
                f'Unknown tasks {sorted(unknown)}; known: {TASKS}')

        def layer(cin: int, cout: int) -> nn.Module:
            if fully_convolutional:
                return nn.Conv2d(cin, cout, 1)
            return nn.Linear(cin, cout)

        self.tasks = tuple(tasks)
        self.detach_weight_input = detach_weight_input
        self.shared_layers = nn.Sequential(
            layer(in_channels, hidden_channels), nn.ReLU(inplace=True),
            layer(hidden_channels, hidden_channels), nn.ReLU(inplace=True))
        channels = dict(_TASK_CHANNELS, attribute=num_attributes)
        self.outputs = nn.ModuleDict(
            {task: layer(hidden_channels, channels[task])
             for task in self.tasks})
        self.attr_weight = (
            layer(in_channels, num_attributes)
            if 'attribute' in self.tasks and with_dynamic_weights else None)

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        """Predict every enabled task from the shared feature ``x``.

        Args:
            x (Tensor): ``(B, C)`` for fc branches, ``(B, C, h, w)`` for the
                fully convolutional one.

        Returns:
            dict[str, Tensor]: ``face_cls`` (2 logits), ``bbox`` (4 offsets),
            ``landmark`` (10 coordinates), ``attribute`` (d logits) for the
            enabled tasks, plus ``attr_weight`` (d logits alpha of Eq. 7);
            always fp32, also when the layers ran under bf16 / fp16
            autocast, so that losses, softmaxes and box decoding downstream
            see fp32.
        """
        hidden = self.shared_layers(x)
        outs = {task: head(hidden) for task, head in self.outputs.items()}
        if self.attr_weight is not None:
            outs['attr_weight'] = self.attr_weight(
                x.detach() if self.detach_weight_input else x)
        return {task: out.float() for task, out in outs.items()}
