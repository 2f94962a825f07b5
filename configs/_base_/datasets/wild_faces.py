# In-the-wild web photos with face box and 5 landmarks (no attributes, no
# val split: 10 % of train, by photo, is carved out as val and left out of
# training, as face_sources.py does; the test split is for the final
# numbers only).
_base_ = ['./face_sources.py', './face_loaders.py']

train_dataloader = dict(**_base_.train_loader, dataset=_base_.wild_train)
val_dataloader = dict(**_base_.test_loader, dataset=_base_.wild_val)
test_dataloader = dict(**_base_.test_loader, dataset=_base_.wild_test)
# crop mode: each sample is a crop around its face, the prediction its own
val_evaluator = dict(type='LandmarkNME', match_mode='first')
test_evaluator = val_evaluator
