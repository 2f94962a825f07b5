"""Collate training batches so that they cross from the loader's workers
to the training process cheaply.

A worker hands its batch over by pickling it, and PyTorch moves every
tensor of it through shared memory: one file descriptor (or shared-memory
file) per tensor, each fetched from the worker when the batch is unpickled.
A face batch of 32 holds about 220 tensors (an image and six small
annotation fields per sample), and receiving them cost the training process
30-70 ms a batch on 2 cores, a tenth to a quarter of a bf16 iteration
(docs/benchmarks.md). :func:`face_collate` stacks the images into one
tensor and makes the annotations travel inside the pickle itself, as
arrays of a few dozen bytes each.
"""
from typing import Any, Sequence

import numpy as np
import torch
from mmengine.dataset import default_collate
from mmengine.registry import FUNCTIONS
from mmengine.structures import InstanceData

from mmdet.structures.bbox import BaseBoxes

#: The data-sample fields that hold instances.
INSTANCE_FIELDS = ('gt_instances', 'ignored_instances')


class InlineInstanceData(InstanceData):
    """:class:`~mmengine.structures.InstanceData` whose tensors (and box
    tensors) are pickled as NumPy arrays inside the pickle, not through
    shared memory.

    In every other respect an ``InstanceData``: unpickled, its fields are
    tensors (and boxes) again, equal to the originals.
    """

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        for key, value in state.items():
            if isinstance(value, BaseBoxes):
                state[key] = ('boxes', type(value), value.tensor.numpy())
            elif isinstance(value, torch.Tensor):
                state[key] = ('tensor', None, value.numpy())
        return state

    def __setstate__(self, state: dict) -> None:
        for key, value in state.items():
            if isinstance(value, tuple) and len(value) == 3 and isinstance(
                    value[2], np.ndarray) and value[0] in ('boxes', 'tensor'):
                kind, box_type, array = value
                tensor = torch.from_numpy(array)
                state[key] = box_type(tensor) if kind == 'boxes' else tensor
        self.__dict__.update(state)


def inline_instances(instances: InstanceData) -> InlineInstanceData:
    """The same instances as an :class:`InlineInstanceData`, in place.

    Args:
        instances (InstanceData): CPU instances.

    Returns:
        InlineInstanceData: ``instances`` itself.
    """
    # A class swap, not a copy: the subclass adds no state, and setting the
    # fields one by one re-validated every field's length each time (5 ms
    # of a 32-sample batch). object's setattr, as InstanceData's would
    # take __class__ for a data field.
    object.__setattr__(instances, '__class__', InlineInstanceData)
    return instances


@FUNCTIONS.register_module()
def face_collate(data_batch: Sequence[dict]) -> Any:
    """mmengine's ``default_collate`` (images stacked into one ``(B, C, H,
    W)`` tensor; data samples left as a list) with the samples' instances
    made :class:`InlineInstanceData`.

    For training loaders whose images share one size (the face crops):
    ``train_dataloader = dict(collate_fn=dict(type='face_collate'))``.
    The batch is what ``pseudo_collate`` gives, but for the stacked
    images, which the data preprocessor takes as they are.

    Args:
        data_batch (Sequence[dict]): The packed samples of a batch.

    Returns:
        dict: ``inputs`` (Tensor) and ``data_samples`` (list).

    Raises:
        RuntimeError: Images of different sizes (``torch.stack``'s error);
            use ``pseudo_collate`` for such loaders.
    """
    batch = default_collate(data_batch)
    for sample in batch.get('data_samples', []):
        for field in INSTANCE_FIELDS:
            if field in sample:
                inline_instances(getattr(sample, field))
    return batch
