# Study arm "MCFA as the paper writes it" (issue 12, round 3): the recipe's
# network, optimiser and schedule with the recipe's levers taken out, so
# that only they differ between the two arms:
# - Eq. 4's learned attribute weights as written (mode='paper': the weights
#   sum to one, no scaling by d);
# - L2 losses for boxes and landmarks (Eqs. 2, 3), every task weighted 1;
# - batches drawn from the concatenated sources in whatever proportion
#   their sizes give, non-faces at the paper's IoU < 0.001.
# 1,100 iterations: about 20 minutes on one core, like the other arms.
_base_ = './mcfa-recipe_vgg16-w025-128px_1xb32-3000i_celeba-multisource.py'

model = dict(
    head=dict(
        loss_attr=dict(mode='paper', scale_by_num_attributes=False),
        loss_bbox=dict(type='MSELoss'),
        loss_landmark=dict(_delete_=True, type='MSELoss'),
        loss_weights=dict(face_cls=1.0)))
train_dataloader = dict(
    sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True),
    dataset=dict(
        datasets=[{{_base_.attribute_faces}}, {{_base_.mined_photos}}]))

max_iters = 1100
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
