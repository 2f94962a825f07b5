"""Datasets of random packed face crops for short training runs in tests."""
from typing import Optional, Sequence

import torch
from mmengine.dataset import pseudo_collate
from torch.utils.data import Dataset

from .model_builders import random_face_samples


class RandomFaceCrops(Dataset):
    """Packed random face crops with targets of every kind.

    Index ``i`` always gives the same pixels and targets (both seeded with
    ``i``), so two runs over the dataset see the same data.

    Args:
        length (int): Number of crops. Defaults to 8.
        input_size (int): Crop side in pixels. Defaults to 64.
        num_attributes (int): d. Defaults to 8.
        attribute_names (Sequence[str], optional): Put in the metainfo
            (``attribute_names``) when given, as the face datasets do.
    """

    def __init__(self,
                 length: int = 8,
                 input_size: int = 64,
                 num_attributes: int = 8,
                 attribute_names: Optional[Sequence[str]] = None) -> None:
        self.length = length
        self.input_size = input_size
        self.num_attributes = num_attributes
        self.metainfo = dict(classes=('face', ))
        if attribute_names is not None:
            self.metainfo['attribute_names'] = tuple(attribute_names)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict:
        sample = random_face_samples(
            1, self.input_size, self.num_attributes, seed=index)[0]
        generator = torch.Generator().manual_seed(index)
        image = torch.rand(
            3, self.input_size, self.input_size, generator=generator)
        return dict(inputs=image * 255, data_samples=sample)


def crops_loader(dataset: Dataset, batch_size: int = 4) -> dict:
    """A ``Runner`` train dataloader config: in order, packed as they are.

    Args:
        dataset (Dataset): The dataset object.
        batch_size (int): Samples per batch. Defaults to 4.

    Returns:
        dict: The dataloader config.
    """
    return dict(
        dataset=dataset,
        sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=pseudo_collate,
        batch_size=batch_size)
