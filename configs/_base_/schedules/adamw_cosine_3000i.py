# AdamW with a linear warm-up and cosine decay over an iteration-based loop:
# trains narrow models from scratch on a CPU (the recipe's schedule).
max_iters = 3000
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    # no end / T_max: MMEngine's runner ends the cosine at the loop's
    # max_iters and T_max defaults to end - begin, so a child config that
    # changes train_cfg.max_iters alone keeps the schedule whole
    dict(type='CosineAnnealingLR', eta_min=1e-5, begin=0, by_epoch=False)
]
auto_scale_lr = dict(enable=False, base_batch_size=16)
