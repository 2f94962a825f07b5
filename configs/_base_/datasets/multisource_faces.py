# One model from every source: CelebA attributes, LFWA boxes + landmarks +
# attributes, in-the-wild boxes + landmarks, and non-faces / part faces
# mined from the photos with boxes. Validated on CelebA val.
_base_ = ['./face_sources.py', './face_loaders.py']

train_dataloader = dict(
    **_base_.train_loader,
    dataset=dict(
        type='ConcatDataset',
        # the in-the-wild set has no attribute names; CelebA's order rules
        ignore_keys=['attribute_names'],
        datasets=[_base_.celeba_train, _base_.lfwa_train, _base_.wild_train]))
val_dataloader = dict(**_base_.test_loader, dataset=_base_.celeba_val)
test_dataloader = dict(**_base_.test_loader, dataset=_base_.celeba_test)
val_evaluator = dict(type='AttributeAccuracy')
test_evaluator = val_evaluator
