# Evaluate (or fine-tune) the CPU-sized MCFA on LFWA's test split:
# attributes, landmark NME and face classification of the cropped faces.
_base_ = './mcfa_vgg16-w025-128px_1xb32-8e_celeba-multisource.py'

# the sources' LFWA test set, with this size's boxed test pipeline
lfwa_test = dict(_base_.lfwa_test, pipeline=_base_.boxed_test_pipeline)
val_dataloader = dict(dataset=lfwa_test)
test_dataloader = dict(dataset=lfwa_test)
val_evaluator = [
    dict(type='AttributeAccuracy'),
    dict(type='LandmarkNME'),
    dict(type='FaceClassificationAccuracy')
]
test_evaluator = val_evaluator
