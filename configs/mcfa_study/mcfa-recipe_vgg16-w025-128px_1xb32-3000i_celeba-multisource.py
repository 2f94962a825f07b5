# Study base (docs/study_log.md, rounds 2-4): the recipe at the one-core
# hour of its time, 3,000 iterations, fp32, landmark weight 1. The study
# arms of those rounds inherit it; the shipped round-5 config is the same
# at 4,500 iterations.
_base_ = '../mcfa/mcfa-recipe_vgg16-w025-128px_1xb32-4500i_celeba-multisource.py'

max_iters = 3000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
