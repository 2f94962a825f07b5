# Evaluate (or fine-tune) the CPU-sized MCFA on LFWA's test split:
# attributes, landmark NME and face classification of the cropped faces.
_base_ = './mcfa_vgg16-w025-128px_1xb32-8e_celeba-multisource.py'

lfwa_test = dict(
    type='LFWADataset',
    data_root={{_base_.lfwa_root}},
    split='test',
    test_mode=True,
    pipeline={{_base_.boxed_test_pipeline}})
val_dataloader = dict(dataset=lfwa_test)
test_dataloader = dict(dataset=lfwa_test)
val_evaluator = [
    dict(type='AttributeAccuracy'),
    dict(type='LandmarkNME'),
    dict(type='FaceClassificationAccuracy')
]
test_evaluator = val_evaluator
