# Fine-tune a CelebA-trained MCFA on LFWA (boxes, landmarks, attributes).
# The checkpoint: $MCFA_CELEBA_CKPT or --cfg-options load_from=...
_base_ = [
    '../_base_/models/mcfa_vgg16.py', '../_base_/datasets/lfwa.py',
    '../_base_/schedules/sgd_30e.py', '../_base_/default_runtime.py'
]
max_epochs = 10
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[7],
        gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=0.001))
load_from = '{{$MCFA_CELEBA_CKPT:work_dirs/mcfa_vgg16_8xb32-30e_celeba-multisource/epoch_30.pth}}'  # noqa: E501
