# CelebA face crops with 40 attributes (no box, no landmarks).
_base_ = ['./face_sources.py', './face_loaders.py']

train_dataloader = dict(**_base_.train_loader, dataset=_base_.celeba_train)
val_dataloader = dict(**_base_.test_loader, dataset=_base_.celeba_val)
test_dataloader = dict(**_base_.test_loader, dataset=_base_.celeba_test)
val_evaluator = dict(type='AttributeAccuracy')
test_evaluator = val_evaluator
