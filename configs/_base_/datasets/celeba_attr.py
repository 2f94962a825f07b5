# CelebA face crops with 40 attributes (no box, no landmarks).
_base_ = './face_sources.py'

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=None,
    dataset={{_base_.celeba_train}})
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset={{_base_.celeba_val}})
test_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset={{_base_.celeba_test}})
val_evaluator = dict(type='AttributeAccuracy')
test_evaluator = val_evaluator
