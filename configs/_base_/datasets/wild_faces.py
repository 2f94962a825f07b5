# In-the-wild web photos with face box and 5 landmarks (no attributes, no
# val split).
_base_ = './face_sources.py'

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=None,
    dataset={{_base_.wild_train}})
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset={{_base_.wild_test}})
test_dataloader = val_dataloader
val_evaluator = dict(type='LandmarkNME')
test_evaluator = val_evaluator
