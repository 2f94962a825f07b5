# Whole-image cascade of the recipe's model on the in-the-wild test photos:
# face box AP / recall (MMDetection's CocoMetric) and landmark NME of the
# matched faces. The cascade's settings are the recipe config's test_cfg
# (chosen on the carved wild val split); this file only switches to
# cascade mode and to whole photos. Validation run:
#   --cfg-options test_dataloader.dataset.split=val
_base_ = './mcfa-recipe_vgg16-w025-128px_1xb32-3000i_celeba-multisource.py'

model = dict(test_cfg=dict(mode='cascade'))
test_dataloader = dict(
    batch_size=1, num_workers=1, dataset={{_base_.wild_cascade_test}})
test_evaluator = {{_base_.cascade_test_evaluator}}
