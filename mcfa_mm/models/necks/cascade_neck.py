"""MCFA's cascade: each sub-network's feature carries the previous one's."""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig


@MODELS.register_module()
class MCFACascadeNeck(BaseModule):
    """Build the shared features of S_Net, M_Net and L_Net (paper, II-B).

    - S: its ``1 x 1 x 256`` map is kept as a map (S stays fully
      convolutional and can slide over whole images).
    - M: ``fc(1024)`` of M's pooled conv map, concatenated with S's
      flattened 256 -> 1280.
    - L: ``fc(1024)`` of L's pooled conv map, concatenated with M's
      1280 -> 2304.

    The concatenations are plain tensors, so the gradient of L's losses
    flows back through M's and S's features to their first convs (the
    end-to-end training that sets MCFA apart from MTCNN's greedy stages).

    Args:
        in_channels (Sequence[int]): Channels of S's shared map and of M's
            and L's pooled conv maps (the backbone's ``stage_channels``).
        map_size (int): Side of M's and L's pooled maps (``input_size/32``).
        fc_channels (int): Width of M's and L's fc layer (1024 in the paper).
        dropout (float): Dropout after each fc, 0 to disable.
        use_cascade (bool): Concatenate the previous stage's feature (the
            paper). False gives each stage its own fc only: M_Net and L_Net
            become plain classifiers (an ablation).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (256, 512, 512),
                 map_size: int = 7,
                 fc_channels: int = 1024,
                 dropout: float = 0.0,
                 use_cascade: bool = True,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = tuple(in_channels)
        self.num_stages = len(self.in_channels)
        self.fc_channels = fc_channels
        self.use_cascade = use_cascade
        for stage, channels in zip(('m', 'l'), self.in_channels[1:]):
            setattr(
                self, f'{stage}_fc',
                nn.Sequential(
                    nn.Flatten(1),
                    nn.Linear(channels * map_size * map_size, fc_channels),
                    nn.ReLU(inplace=True),
                    nn.Dropout(dropout) if dropout > 0 else nn.Identity()))

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """Width of each stage's shared feature: (256, 1280, 2304) at full
        size."""
        widths = [self.in_channels[0]]
        for _ in self.in_channels[1:]:
            previous = widths[-1] if self.use_cascade else 0
            widths.append(previous + self.fc_channels)
        return tuple(widths)

    def forward(self, feats: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """Concatenate each stage's feature with the previous one's.

        Args:
            feats (Sequence[Tensor]): S's shared map ``(B, C_s, h, w)`` and,
                when present, M's and L's pooled maps.

        Returns:
            tuple[Tensor]: S's map unchanged, then M's ``(B, C_s + fc)`` and
            L's ``(B, C_s + 2 fc)`` shared vectors.
        """
        outs = [feats[0]]
        if len(feats) > 1:
            previous = feats[0].flatten(1)
            for stage, feat in zip(('m', 'l'), feats[1:]):
                own = getattr(self, f'{stage}_fc')(feat)
                previous = torch.cat([own, previous],
                                     dim=1) if self.use_cascade else own
                outs.append(previous)
        return tuple(outs)
