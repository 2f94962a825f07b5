# Whole-image cascade of the recipe's model on the in-the-wild test photos:
# face box AP / recall (MMDetection's CocoMetric) and landmark NME of the
# matched faces. The cascade's settings are the recipe config's test_cfg
# (chosen on the carved wild val split); this file only switches to
# cascade mode and to whole photos. Validation run:
#   --cfg-options test_dataloader.dataset.split=val
_base_ = './mcfa-recipe_vgg16-w025-128px_1xb32-3000i_celeba-multisource.py'

model = dict(test_cfg=dict(mode='cascade'))
# whole photos: no crop, no resize; the raw annotations ride along for
# CocoMetric (it converts them to COCO itself when ann_file is None)
cascade_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadFaceAnnotations', num_attributes=40),
    dict(
        type='PackFaceInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'instances'))
]
test_dataloader = dict(
    batch_size=1,
    num_workers=1,
    dataset=dict(
        _delete_=True,
        type='WildFaceDataset',
        data_root={{_base_.wild_root}},
        split='test',
        val_fraction={{_base_.val_fraction}},
        test_mode=True,
        pipeline=cascade_test_pipeline))
test_evaluator = [
    dict(type='CocoMetric', metric='bbox', ann_file=None, classwise=False),
    dict(type='LandmarkNME', match_mode='iou', rescale_gt=False)
]
