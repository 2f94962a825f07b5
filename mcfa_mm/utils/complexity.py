"""Multiply-accumulates of a model's forward pass, by mmengine's analysis.

``mmengine.analysis.FlopAnalyzer`` (the counter behind
``get_model_complexity_info`` and MMDetection's ``get_flops.py``) traces one
call and counts, like fvcore, one "flop" per multiply-accumulate of every
conv and matmul. Its normalisation counts (two per element) are left out:
the figures in docs/study_log.md are conv and matmul MACs.
"""
from typing import Any, Callable, Dict, Iterator

import torch
import torch.nn as nn
from mmengine.analysis import FlopAnalyzer
from torch import Tensor

#: FlopAnalyzer's operator names that are matrix products.
MATMUL_OPS = ('linear', 'addmm', 'matmul', 'bmm', 'einsum')


def _tensors(value: Any) -> Iterator[Tensor]:
    """The tensors of nested lists, tuples and dicts, in order."""
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)


class _Call(nn.Module):
    """``fn(*inputs)`` as a module over ``model`` (the analysis traces a
    module; tracing wants tensors out, so nested outputs are flattened)."""

    def __init__(self, model: nn.Module, fn: Callable[..., Any]) -> None:
        super().__init__()
        self.model = model
        self.fn = fn

    def forward(self, *inputs: Tensor) -> tuple:
        return tuple(_tensors(self.fn(*inputs)))


def count_macs(model: nn.Module, fn: Callable[..., Any],
               *inputs: Tensor) -> Dict[str, int]:
    """Multiply-accumulates of one call of ``fn`` (which runs ``model``).

    Args:
        model (nn.Module): The model whose layers ``fn`` runs (evaluated in
            eval mode, then put back).
        fn (callable): What to count, e.g. ``model.extract_feat``.
        *inputs (Tensor): Its inputs.

    Returns:
        dict: ``macs`` (total), ``conv_macs`` and ``linear_macs``.
    """
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            analyzer = FlopAnalyzer(_Call(model, fn), inputs)
            analyzer.unsupported_ops_warnings(False)
            analyzer.uncalled_modules_warnings(False)
            by_op = analyzer.by_operator()
    finally:
        model.train(was_training)
    conv = int(by_op.get('conv', 0))
    linear = int(sum(by_op.get(op, 0) for op in MATMUL_OPS))
    return dict(macs=conv + linear, conv_macs=conv, linear_macs=linear)
