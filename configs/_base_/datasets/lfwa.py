# LFWA: 80x80 LFW photos with face box, 5 landmarks and 40 attributes. It
# has no val split: 10 % of train (by person) is carved out as val, and
# training leaves it out (face_sources.py); the test split is for the
# final numbers only.
_base_ = ['./face_sources.py', './face_loaders.py']

train_dataloader = dict(**_base_.train_loader, dataset=_base_.lfwa_train)
val_dataloader = dict(**_base_.test_loader, dataset=_base_.lfwa_val)
test_dataloader = dict(**_base_.test_loader, dataset=_base_.lfwa_test)
# crop mode: each sample is a crop around its face, the prediction its own
val_evaluator = [
    dict(type='AttributeAccuracy', match_mode='first'),
    dict(type='LandmarkNME', match_mode='first'),
    dict(type='FaceClassificationAccuracy')
]
test_evaluator = val_evaluator
