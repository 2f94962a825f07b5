# MCFA at full size on the official CelebA release: in-the-wild images
# (Img/img_celeba/) with their boxes and landmarks, from which positive,
# part and non-face crops are mined, as in the paper (III-A).
# Root: $MCFA_CELEBA_FULL_ROOT, else data/CelebA.
_base_ = [
    '../_base_/models/mcfa_vgg16.py', '../_base_/datasets/celeba_attr.py',
    '../_base_/schedules/sgd_30e.py', '../_base_/default_runtime.py'
]
celeba_full_root = '{{$MCFA_CELEBA_FULL_ROOT:data/CelebA}}/'
img_prefix = dict(img='Img/img_celeba/')

train_dataloader = dict(
    dataset=dict(
        data_root=celeba_full_root,
        data_prefix=img_prefix,
        pipeline={{_base_.mining_train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        data_root=celeba_full_root,
        data_prefix=img_prefix,
        pipeline={{_base_.boxed_test_pipeline}}))
test_dataloader = dict(
    dataset=dict(
        data_root=celeba_full_root,
        data_prefix=img_prefix,
        pipeline={{_base_.boxed_test_pipeline}}))
# crop mode: each sample is a crop around its face, the prediction its own
val_evaluator = [
    dict(type='AttributeAccuracy', match_mode='first'),
    dict(type='LandmarkNME', match_mode='first')
]
test_evaluator = val_evaluator
