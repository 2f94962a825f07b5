"""Count parameters and multiply-accumulates of a model's forward pass."""
from typing import Callable, Dict, Optional

import torch
import torch.nn as nn


def count_macs(model: nn.Module,
               *inputs,
               forward: Optional[Callable] = None,
               **kwargs) -> Dict[str, int]:
    """Multiply-accumulates of convs and linears in one forward pass.

    Args:
        model (nn.Module): The model.
        *inputs: Positional inputs of ``model``.
        forward (callable, optional): What to call instead of ``model``
            (e.g. ``model.extract_feat``); hooks stay on ``model``.
        **kwargs: Keyword inputs of ``model``.

    Returns:
        dict: ``macs`` (total), ``conv_macs``, ``linear_macs`` and ``params``.
    """
    counts = {'conv_macs': 0, 'linear_macs': 0}

    def conv_hook(module: nn.Conv2d, _, output: torch.Tensor) -> None:
        kernel = module.weight[0].numel()  # in/groups * kh * kw
        counts['conv_macs'] += output.numel() * kernel

    def linear_hook(module: nn.Linear, _, output: torch.Tensor) -> None:
        counts['linear_macs'] += output.numel() * module.in_features

    handles = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(linear_hook))
    try:
        with torch.no_grad():
            (forward or model)(*inputs, **kwargs)
    finally:
        for handle in handles:
            handle.remove()
    counts['macs'] = counts['conv_macs'] + counts['linear_macs']
    counts['params'] = sum(p.numel() for p in model.parameters())
    return counts
