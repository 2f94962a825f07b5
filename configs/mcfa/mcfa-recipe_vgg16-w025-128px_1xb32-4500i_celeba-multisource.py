# The recipe (mcfa-recipe_vgg16-w025-128px_1xb32-3000i) with the whole
# 2-core hour: 4,500 iterations with two torch threads (OMP_NUM_THREADS=2),
# where the 3,000-iteration config is the hour on one core. Measured alone
# on this project's 2-core machines: 0.74-0.87 s / iteration on 2026-12-04
# (59 minutes in all); an earlier machine ran 0.59 s. The cosine decay follows
# max_iters (see the base).
#
#   OMP_NUM_THREADS=2 python tools/train.py THIS_CONFIG
_base_ = './mcfa-recipe_vgg16-w025-128px_1xb32-3000i_celeba-multisource.py'

max_iters = 4500
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
