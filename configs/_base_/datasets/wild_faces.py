# In-the-wild web photos with face box and 5 landmarks (no attributes, no
# val split).
_base_ = ['./face_sources.py', './face_loaders.py']

train_dataloader = dict(**_base_.train_loader, dataset=_base_.wild_train)
val_dataloader = dict(**_base_.test_loader, dataset=_base_.wild_test)
test_dataloader = val_dataloader
val_evaluator = dict(type='LandmarkNME')
test_evaluator = val_evaluator
