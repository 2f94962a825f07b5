# Whole-photo cascade of round 5's model on the in-the-wild test photos:
# face box AP / recall (MMDetection's CocoMetric) and landmark NME of the
# faces matched by IoU. The cascade keeps the model's settings (chosen on
# the carved wild val split: --cfg-options test_dataloader.dataset.split=val).
_base_ = './mcfa-recipe_vgg16-w025-128px_1xb32-4500i_celeba-multisource.py'

model = dict(test_cfg=dict(mode='cascade'))
test_dataloader = {{_base_.wild_photos_loader}}
test_evaluator = {{_base_.cascade_test_evaluator}}
