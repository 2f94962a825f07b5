# Whole-image cascade of the CPU-sized MCFA on LFWA's test photos (80x80,
# one 20-40 px face each): face box AP / recall, landmark NME of the matched
# faces. Test-only: pass a checkpoint of the CPU-sized multi-source config.
_base_ = './mcfa_vgg16-w025-128px_cascade_wild.py'

# LFWA's faces are small: start the pyramid at 20 px faces
model = dict(test_cfg=dict(cascade=dict(min_face_size=20)))
test_dataloader = dict(
    dataset=dict(
        type='LFWADataset', data_root={{_base_.lfwa_root}}, split='test'))
