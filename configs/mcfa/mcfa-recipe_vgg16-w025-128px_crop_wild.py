# Crop-mode test of round 5's model on the in-the-wild photos: each labelled
# face cropped around its box (enlarged 1.1x), landmarks scored by
# inter-ocular NME. The carved wild val split (by photo and content):
# --cfg-options test_dataloader.dataset.split=val
_base_ = './mcfa-recipe_vgg16-w025-128px_1xb32-4500i_celeba-multisource.py'

test_dataloader = dict(dataset={{_base_.wild_crops_test}})
test_evaluator = {{_base_.landmark_test_evaluator}}
