# LFWA: 80x80 LFW photos with face box, 5 landmarks and 40 attributes. It
# has no val split: its test split validates too.
_base_ = './face_sources.py'

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=None,
    dataset={{_base_.lfwa_train}})
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset={{_base_.lfwa_test}})
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='AttributeAccuracy'),
    dict(type='LandmarkNME'),
    dict(type='FaceClassificationAccuracy')
]
test_evaluator = val_evaluator
