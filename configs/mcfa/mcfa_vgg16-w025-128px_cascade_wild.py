# Whole-image cascade (paper, II-A) of the CPU-sized MCFA on the in-the-wild
# test photos: S_Net slides over a pyramid, M_Net and L_Net refine. Face box
# AP / recall with MMDetection's own CocoMetric, landmark NME of the matched
# faces. Test-only: pass a checkpoint of the CPU-sized multi-source config.
_base_ = './mcfa_vgg16-w025-128px_1xb32-8e_celeba-multisource.py'

model = dict(
    test_cfg=dict(
        mode='cascade',
        min_face_size=40,
        # scale_factor, thresholds and nms_thresholds: the model's
        # (_base_/models/mcfa_vgg16.py)
        # the largest pyramid level's longer side, to bound time and memory:
        # a photo L px long is searched for faces of max(40, 32 * L / 1280) px
        max_pyramid_side=1280,
        max_per_img=20))
test_dataloader = dict(
    batch_size=1, num_workers=1, dataset={{_base_.wild_cascade_test}})
test_evaluator = {{_base_.cascade_test_evaluator}}
