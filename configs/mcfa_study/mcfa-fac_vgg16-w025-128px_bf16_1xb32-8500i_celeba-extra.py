# Study arm "attribute-only" of round 6 (issue 24): the shipped round-6
# model's network, data, precision and schedule with the attribute task
# alone (the paper's MCFA_FAC variant). Every batch is 32 CelebA faces drawn
# from both CelebA roots, where the multi-task model's batch holds 12 of
# them beside landmark, part and non-face samples. Same 8,500 iterations,
# bf16 autocast and NHWC, so the two runs cost the same hour on 2 cores and
# answer "does multi-task pay?" at equal cost (docs/study_log.md).
#
#   OMP_NUM_THREADS=2 python tools/train.py THIS_CONFIG
_base_ = '../mcfa/mcfa-recipe_vgg16-w025-128px_bf16_1xb32-8500i_celeba-extra-multisource.py'

model = dict(head=dict(tasks=('attribute', )))
train_dataloader = dict(
    sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True),
    # both CelebA roots, as the multi-task model's attribute source
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets={{_base_.attribute_faces.datasets}}))
custom_hooks = [
    dict(type='DynamicWeightLoggerHook', interval=20, stages=('l', ))
]
