# Whole-image cascade of the recipe's model on LFWA's test photos (80x80,
# one 20-40 px face each). Settings from the recipe's test_cfg, but for
# the smallest face.
_base_ = './mcfa-recipe_vgg16-w025-128px_cascade_wild.py'

# LFWA's faces are 20-40 px: start the pyramid at 20 px faces
model = dict(test_cfg=dict(min_face_size=20))
test_dataloader = dict(
    dataset=dict(
        type='LFWADataset', data_root={{_base_.lfwa_root}}, split='test'))
