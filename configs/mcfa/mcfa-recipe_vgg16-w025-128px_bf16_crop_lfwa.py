# Crop-mode test of the round-6 model on LFWA: attributes, landmark NME and face
# classification of each face cropped around its box. The carved LFWA val
# split: --cfg-options test_dataloader.dataset.split=val
_base_ = './mcfa-recipe_vgg16-w025-128px_bf16_1xb32-8500i_celeba-extra-multisource.py'

test_dataloader = dict(dataset={{_base_.lfwa_crops_test}})
test_evaluator = {{_base_.crop_test_evaluator}}
