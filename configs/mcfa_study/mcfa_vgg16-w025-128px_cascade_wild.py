# Whole-image cascade (paper, II-A) of the CPU-sized MCFA on the in-the-wild
# test photos: S_Net slides over a pyramid, M_Net and L_Net refine. Face box
# AP / recall with MMDetection's own CocoMetric, landmark NME of the matched
# faces. Test-only: pass a checkpoint of the CPU-sized multi-source config.
_base_ = './mcfa_vgg16-w025-128px_1xb32-8e_celeba-multisource.py'

model = dict(
    test_cfg=dict(
        mode='cascade',
        # the base searches from 20 px; the other settings are the
        # cascade's defaults
        cascade=dict(min_face_size=40, max_per_img=20)))
test_dataloader = dict(
    batch_size=1, num_workers=1, dataset={{_base_.wild_cascade_test}})
test_evaluator = {{_base_.cascade_test_evaluator}}
