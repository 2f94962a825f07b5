"""Mixed-precision training on the CPU: bfloat16 autocast, fp32 weights."""
from contextlib import contextmanager
from typing import Union

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from mmdet.registry import OPTIM_WRAPPERS

CPU_AMP_DTYPES = ('bfloat16', 'float16')


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """:class:`~mmengine.optim.OptimWrapper` that runs forward and loss
    under ``torch.autocast(device_type='cpu')``.

    MMEngine's ``AmpOptimWrapper`` asserts an accelerator; on a CPU with
    AVX-512 BF16 or AMX, oneDNN runs convolutions and matmuls in bfloat16 at
    up to twice the fp32 rate. The optimizer and the weights stay fp32
    (autocast casts copies per op), so a checkpoint trained with this
    wrapper is an ordinary fp32 checkpoint and resumes under any wrapper.
    bfloat16 has fp32's exponent range, so no loss scaler is needed; the
    gradients reach the optimizer unscaled and ``clip_grad`` works as with
    the plain wrapper. Losses should be computed in fp32 (``MCFAHead``
    does: it leaves autocast before its losses).

    ``tools/train.py --amp`` selects this wrapper when no accelerator is
    found, and MMEngine's ``AmpOptimWrapper`` otherwise.

    Args:
        dtype (str | torch.dtype): The autocast dtype, ``'bfloat16'``
            (default) or ``'float16'`` (slow on most CPUs; for tests).
        **kwargs: The arguments of :class:`~mmengine.optim.OptimWrapper`.

    Raises:
        ValueError: An unsupported ``dtype``.
    """

    def __init__(self,
                 dtype: Union[str, torch.dtype] = 'bfloat16',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        name = str(dtype).replace('torch.', '')
        if name not in CPU_AMP_DTYPES:
            raise ValueError(f'CPUAmpOptimWrapper dtype must be one of '
                             f'{CPU_AMP_DTYPES}, got {dtype!r}')
        self.cast_dtype = getattr(torch, name)

    @contextmanager
    def optim_context(self, model: nn.Module):
        """The base context (gradient accumulation) under CPU autocast.

        Args:
            model (nn.Module): The trained model.
        """
        with super().optim_context(model), torch.autocast(
                device_type='cpu', dtype=self.cast_dtype):
            yield
