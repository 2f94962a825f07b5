# Round 5's shipped model: the recipe (the CPU-sized network and losses of
# _base_/models/mcfa-recipe_vgg16-w025-128px.py, the fixed batch mix of
# _base_/datasets/recipe_faces.py) for the whole 2-core hour of 2026-12-04:
# 4,500 iterations with two torch threads in fp32, 0.74-0.87 s / iteration
# (59 minutes). Its cascade finds boxes best of the zoo (wild AP50 96.1).
#
#   OMP_NUM_THREADS=2 python tools/train.py THIS_CONFIG
_base_ = [
    '../_base_/models/mcfa-recipe_vgg16-w025-128px.py',
    '../_base_/datasets/recipe_faces.py',
    '../_base_/schedules/adamw_cosine_3000i.py', '../_base_/iter_runtime.py'
]

max_iters = 4500
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
