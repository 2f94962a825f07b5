# Whole-image cascade of the recipe's model on LFWA's test photos (80x80,
# one 20-40 px face each). Settings from the recipe's test_cfg.
_base_ = './mcfa-recipe_vgg16-w025-128px_cascade_wild.py'

test_dataloader = dict(
    dataset=dict(
        type='LFWADataset', data_root={{_base_.lfwa_root}}, split='test'))
