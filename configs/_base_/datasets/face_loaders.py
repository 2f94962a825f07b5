# Data loader settings shared by the face dataset configs: a child writes
# train_dataloader = dict(**_base_.train_loader, dataset=...).
train_loader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=None)
test_loader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False))
