# Evaluate (or fine-tune) the CPU-sized MCFA on LFWA: attributes, landmark
# NME and face classification of the cropped faces. Validation on the val
# split carved out of LFWA train (by person, left out of the base's
# training), the test split for the final numbers only.
_base_ = './mcfa_vgg16-w025-128px_1xb32-8e_celeba-multisource.py'

# the sources' LFWA val and test sets, with this size's boxed test pipeline
lfwa_val = dict(_base_.lfwa_val, pipeline=_base_.boxed_test_pipeline)
lfwa_test = dict(_base_.lfwa_test, pipeline=_base_.boxed_test_pipeline)
val_dataloader = dict(dataset=lfwa_val)
test_dataloader = dict(dataset=lfwa_test)
# crop mode: each sample is a crop around its face, the prediction its own
val_evaluator = [
    dict(type='AttributeAccuracy', match_mode='first'),
    dict(type='LandmarkNME', match_mode='first'),
    dict(type='FaceClassificationAccuracy')
]
test_evaluator = val_evaluator
