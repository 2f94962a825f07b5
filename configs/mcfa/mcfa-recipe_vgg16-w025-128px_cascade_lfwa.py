# Whole-photo cascade of round 5's model on LFWA's test photos (80 x 80, one
# 20-40 px face each): face box AP / recall and landmark NME of the faces
# matched by IoU. The pyramid starts at 20 px faces for these small photos.
_base_ = './mcfa-recipe_vgg16-w025-128px_1xb32-4500i_celeba-multisource.py'

model = dict(
    test_cfg=dict(mode='cascade', cascade=dict(min_face_size=20)))
test_dataloader = {{_base_.lfwa_photos_loader}}
test_evaluator = {{_base_.cascade_test_evaluator}}
