# One model from every source: CelebA attributes, LFWA boxes + landmarks +
# attributes, in-the-wild boxes + landmarks, and non-faces / part faces
# mined from the photos with boxes. Validated on CelebA val.
_base_ = './face_sources.py'

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=None,
    dataset=dict(
        type='ConcatDataset',
        # the in-the-wild set has no attribute names; CelebA's order rules
        ignore_keys=['attribute_names'],
        datasets=[
            {{_base_.celeba_train}}, {{_base_.lfwa_train}},
            {{_base_.wild_train}}
        ]))
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
