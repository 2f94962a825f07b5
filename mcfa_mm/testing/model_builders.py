"""Configs and inputs of tiny MCFA models for tests and benchmarks."""
from typing import List, Optional, Sequence

import torch
from mmengine.structures import InstanceData

from mmdet.structures import DetDataSample
from ..models.heads.task_branch import TASKS


def tiny_mcfa_config(input_size: int = 64,
                     widen_factor: float = 0.125,
                     fc_channels: int = 32,
                     num_attributes: int = 8,
                     tasks: Sequence[str] = TASKS,
                     attr_mode: str = 'adversarial',
                     with_bn: bool = True) -> dict:
    """Config of a narrow, low-resolution MCFA (same architecture).

    Args:
        input_size (int): L_Net's input side (divisible by 32).
        widen_factor (float): Channel multiplier of the VGG slices.
        fc_channels (int): Width of M's and L's fc layers.
        num_attributes (int): d.
        tasks (Sequence[str]): Enabled tasks.
        attr_mode (str): Dynamic weighting mode.
        with_bn (bool): BatchNorm in the backbone.

    Returns:
        dict: A model config for ``MODELS.build``.
    """
    s_channels = max(1, int(round(256 * widen_factor)))
    vgg_channels = max(1, int(round(512 * widen_factor)))
    return dict(
        type='MCFA',
        data_preprocessor=dict(
            type='DetDataPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True),
        backbone=dict(
            type='MCFAPyramidVGG',
            input_size=input_size,
            widen_factor=widen_factor,
            with_bn=with_bn),
        neck=dict(
            type='MCFACascadeNeck',
            in_channels=(s_channels, vgg_channels, vgg_channels),
            map_size=input_size // 32,
            fc_channels=fc_channels),
        head=dict(
            type='MCFAHead',
            hidden_channels=(s_channels, fc_channels, fc_channels),
            num_attributes=num_attributes,
            tasks=tuple(tasks),
            loss_attr=dict(type='DynamicWeightAttributeLoss',
                           mode=attr_mode)))


def random_face_samples(batch: int,
                        input_size: int,
                        num_attributes: int,
                        face_labels: Optional[List[int]] = None,
                        seed: int = 0) -> List[DetDataSample]:
    """Packed training samples with random targets of every kind.

    Args:
        batch (int): Number of samples.
        input_size (int): Crop side in pixels.
        num_attributes (int): d.
        face_labels (list[int], optional): Per sample 1 face / 0 non-face /
            -1 part; all faces by default. Non-faces get no instance.
        seed (int): Random seed.

    Returns:
        list[DetDataSample]: Samples with ``gt_instances`` and metainfo.
    """
    generator = torch.Generator().manual_seed(seed)
    face_labels = face_labels or [1] * batch
    samples = []
    for label in face_labels:
        sample = DetDataSample(metainfo=dict(
            img_shape=(input_size, input_size),
            ori_shape=(input_size, input_size),
            scale_factor=(1., 1.),
            face_label=label))
        gt = InstanceData()
        count = 0 if label == 0 else 1
        corner = torch.rand(count, 2, generator=generator) * input_size / 4
        size = input_size / 2 + torch.rand(count, 1, generator=generator) * (
            input_size / 4)
        gt.bboxes = torch.cat([corner, corner + size], dim=1)
        gt.labels = torch.zeros(count, dtype=torch.long)
        gt.box_known = torch.ones(count, dtype=torch.bool)
        gt.keypoints = corner[:, None] + torch.rand(
            count, 5, 2, generator=generator) * size[:, None]
        gt.keypoints_visible = torch.ones(count, 5)
        gt.attributes = torch.randint(
            0, 2, (count, num_attributes), generator=generator)
        sample.gt_instances = gt
        samples.append(sample)
    return samples
