"""CelebADataset / LFWADataset and AttributeAccuracy outside MCFA: a plain
MMEngine model, learning attributes only, in a plain MMEngine Runner."""
from typing import List, Optional

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmdet.registry import METRICS

NUM_ATTRIBUTES = 40


class TinyAttributeNet(BaseModel):
    """Not MCFA, not a detector: a conv and a linear layer over 32 px crops,
    reading only the packed ``inputs`` and ``gt_instances.attributes``."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(8, NUM_ATTRIBUTES))

    def forward(self, inputs: List[torch.Tensor],
                data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        logits = self.net(torch.stack(inputs).float() / 255)
        if mode == 'tensor':
            return logits
        # (B, d): 1 present / 0 absent / -1 unknown (ignored)
        labels = torch.cat(
            [s.gt_instances.attributes for s in data_samples])
        if mode == 'loss':
            known = labels >= 0
            return dict(loss=F.binary_cross_entropy_with_logits(
                logits[known], labels[known].float()))
        # plain dicts are all that AttributeAccuracy reads
        return [
            dict(gt_instances=dict(attributes=label[None]),
                 pred_instances=dict(attribute_scores=score[None]))
            for label, score in zip(labels, logits.sigmoid())
        ]


def _pipeline(crop: bool) -> list:
    return [
        dict(type='LoadFaceImageFromFile'),
        dict(type='LoadFaceAnnotations', num_attributes=NUM_ATTRIBUTES),
        # LFWA photos: the face box's test crop; CelebA: already a crop
        *([dict(type='CropFace', enlarge=1.1)] if crop else []),
        dict(type='FaceResize', scale=(32, 32), keep_ratio=False),
        dict(type='PackFaceInputs')
    ]


@pytest.mark.parametrize('dataset_type', ['CelebADataset', 'LFWADataset'])
def test_attribute_only_training_in_a_plain_runner(dataset_type, fake_roots,
                                                   tmp_path):
    root = fake_roots['celeba' if dataset_type == 'CelebADataset' else
                      'lfwa']

    def loader(split: str) -> dict:
        # `_scope_`: the dataset and its pipeline are built in mmdet's
        # registries, whatever the runner's own scope is
        return dict(
            batch_size=4, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=split == 'train'),
            collate_fn=dict(type='pseudo_collate'),
            dataset=dict(type=dataset_type, _scope_='mmdet', data_root=root,
                         split=split, test_mode=split != 'train',
                         pipeline=_pipeline(dataset_type == 'LFWADataset')))

    model = TinyAttributeNet()
    before = model.net[-1].weight.detach().clone()
    # the runner makes its scope the current one: give the other tests
    # theirs back afterwards
    with DefaultScope.overwrite_default_scope('mmengine'):
        runner = Runner(
            model=model,
            work_dir=str(tmp_path),
            train_dataloader=loader('train'),
            train_cfg=dict(by_epoch=False, max_iters=4, val_interval=4),
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
            val_dataloader=loader('test'),
            val_cfg=dict(),
            val_evaluator=dict(type='mmdet.AttributeAccuracy'),
            default_hooks=dict(logger=dict(type='LoggerHook', interval=1)),
            default_scope='mmengine')
        runner.train()
        metrics = runner.val_loop.run()
    assert not torch.equal(before, model.net[-1].weight)
    assert torch.isfinite(torch.tensor(
        runner.message_hub.get_scalar('train/loss').data[0])).all()
    test_size = len(runner.val_dataloader.dataset)
    assert metrics['attr/num_samples'] == test_size > 0
    assert 0 <= metrics['attr/mean_accuracy'] <= 100
    # the metric names attributes from the dataset's header
    assert 'attr/acc/Smiling' in metrics


def test_packed_keys_of_an_attribute_sample(fake_roots):
    from mcfa_mm.datasets import CelebADataset
    dataset = CelebADataset(data_root=fake_roots['celeba'], split='train',
                            pipeline=_pipeline(crop=False))
    sample = dataset[0]
    assert set(sample) == {'inputs', 'data_samples'}
    assert sample['inputs'].shape == (3, 32, 32)
    assert sample['inputs'].dtype == torch.uint8
    gt = sample['data_samples'].gt_instances
    assert gt.attributes.shape == (1, NUM_ATTRIBUTES)
    assert set(gt.attributes.unique().tolist()) <= {0, 1}
    # CelebA crops have no box or landmarks: flagged, not invented
    assert not gt.box_known.any() and not gt.keypoints_visible.any()
    meta = sample['data_samples'].metainfo
    assert {'img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
            'face_label', 'crop_offset'} <= set(meta)
    assert dataset.metainfo['attribute_names'][31] == 'Smiling'


def test_attribute_accuracy_alone_on_plain_dicts():
    metric = METRICS.build(dict(type='AttributeAccuracy'))
    metric.dataset_meta = dict(attribute_names=['Smiling', 'Male', 'Bangs'])
    metric.process({}, [
        dict(gt_instances=dict(attributes=torch.tensor([[1, 0, -1]])),
             pred_instances=dict(
                 attribute_scores=torch.tensor([[0.9, 0.8, 0.1]]))),
        dict(gt_instances=dict(attributes=torch.tensor([[0, 0, 1]])),
             pred_instances=dict(
                 attribute_scores=torch.tensor([[0.2, 0.3, 0.6]]))),
    ])
    metrics = metric.evaluate(2)
    # Smiling 2/2, Male 1/2, Bangs 1/1 (its -1 is not counted)
    assert metrics['attr/acc/Smiling'] == 100
    assert metrics['attr/acc/Male'] == 50
    assert metrics['attr/acc/Bangs'] == 100
    assert metrics['attr/mean_accuracy'] == pytest.approx(250 / 3)
    assert metrics['attr/num_samples'] == 2
