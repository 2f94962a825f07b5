# Study arm "attribute-only" (issue 12, round 3): the recipe's network and
# schedule with the attribute task alone (the paper's MCFA_FAC variant),
# trained on the CelebA crops only, for a 20-minute budget on one core
# (1,100 iterations; the recipe's cosine follows max_iters). The matching
# MCFA arm is the recipe config with --cfg-options train_cfg.max_iters=1100
# train_cfg.val_interval=1100 (docs/study_log.md).
_base_ = './mcfa-recipe_vgg16-w025-128px_1xb32-3000i_celeba-multisource.py'

model = dict(head=dict(tasks=('attribute', )))
train_dataloader = dict(
    sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='CelebADataset',
        data_root={{_base_.celeba_root}},
        split='train',
        pipeline={{_base_.crop_train_pipeline}}))

max_iters = 1100
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
custom_hooks = [
    dict(type='DynamicWeightLoggerHook', interval=20, stages=('l', ))
]
