# LFWA: 80x80 LFW photos with face box, 5 landmarks and 40 attributes. It
# has no val split: its test split validates too.
_base_ = ['./face_sources.py', './face_loaders.py']

train_dataloader = dict(**_base_.train_loader, dataset=_base_.lfwa_train)
val_dataloader = dict(**_base_.test_loader, dataset=_base_.lfwa_test)
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='AttributeAccuracy'),
    dict(type='LandmarkNME'),
    dict(type='FaceClassificationAccuracy')
]
test_evaluator = val_evaluator
