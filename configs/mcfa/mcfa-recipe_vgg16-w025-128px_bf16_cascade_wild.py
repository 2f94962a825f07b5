# Whole-photo cascade of the round-6 model on the in-the-wild test photos:
# face box AP / recall (MMDetection's CocoMetric) and landmark NME of the
# faces matched by IoU. The cascade keeps the model's settings (chosen on
# the carved wild val split: --cfg-options test_dataloader.dataset.split=val).
_base_ = './mcfa-recipe_vgg16-w025-128px_bf16_1xb32-8500i_celeba-extra-multisource.py'

model = dict(test_cfg=dict(mode='cascade'))
test_dataloader = {{_base_.wild_photos_loader}}
test_evaluator = {{_base_.cascade_test_evaluator}}
