# Pipelines and datasets of every face source, at the paper's 224 px.
# Data roots come from one environment variable per dataset (or
# --cfg-options), defaulting to ../shared/data/<name> beside the repository.
celeba_root = '{{$MCFA_CELEBA_ROOT:../shared/data/celeba}}/'
# more CelebA training crops (train partition only), in celeba_root's layout
celeba_extra_root = '{{$MCFA_CELEBA_EXTRA_ROOT:../shared/data/celeba_extra}}/'
lfwa_root = '{{$MCFA_LFWA_ROOT:../shared/data/lfwa}}/'
wild_root = '{{$MCFA_WILD_ROOT:../shared/data/wild}}/'
input_size = 224
num_attributes = 40
backend_args = None

# Face crops without a box (CelebA crops): the whole image is the face.
crop_train_pipeline = [
    dict(type='LoadFaceImageFromFile', backend_args=backend_args),
    dict(type='LoadFaceAnnotations', num_attributes=num_attributes),
    dict(type='FaceResize', scale=(input_size, input_size), keep_ratio=False),
    dict(type='FaceRandomFlip', prob=0.5),
    dict(type='FaceColorJitter', prob=0.5),
    dict(type='PackFaceInputs')
]
# Photos with a face box: MTCNN-style positive / part / negative crops; the
# paper's non-faces overlap the face by IoU < 0.001.
mining_train_pipeline = [
    dict(type='LoadFaceImageFromFile', backend_args=backend_args),
    dict(type='LoadFaceAnnotations', num_attributes=num_attributes),
    dict(
        type='MineFaceSample',
        sample_ratios=dict(positive=2, part=1, negative=1),
        iou_ranges=dict(negative=(0.0, 0.001))),
    dict(type='FaceResize', scale=(input_size, input_size), keep_ratio=False),
    dict(type='FaceRandomFlip', prob=0.5),
    dict(type='FaceColorJitter', prob=0.5),
    dict(type='PackFaceInputs')
]
# The test pipelines load with LoadFaceImageFromFile (a bad image fails
# naming the file) under the name MMDetection's DetInferencer looks for,
# 'LoadImageFromFile', in mcfa_mm's own registry scope: DetInferencer then
# runs these configs unchanged (see mcfa_mm/registry.py).
test_load_image = dict(
    type='LoadImageFromFile', _scope_='mcfa_mm', backend_args=backend_args)
crop_test_pipeline = [
    test_load_image,
    dict(type='LoadFaceAnnotations', num_attributes=num_attributes),
    dict(type='FaceResize', scale=(input_size, input_size), keep_ratio=False),
    dict(type='PackFaceInputs')
]
# Photos with a face box, evaluated in crop mode: crop around the box.
boxed_test_pipeline = [
    test_load_image,
    dict(type='LoadFaceAnnotations', num_attributes=num_attributes),
    dict(type='CropFace', enlarge=1.1),
    dict(type='FaceResize', scale=(input_size, input_size), keep_ratio=False),
    dict(type='PackFaceInputs')
]


def splits(dataset_type, data_root, train_pipeline, test_pipeline, **carve):
    """Train, val and test datasets of one source; `carve` (val_fraction)
    carves the val split out of train for the sets that have none."""
    source = dict(type=dataset_type, data_root=data_root)
    return (dict(source, split='train', **carve, pipeline=train_pipeline),
            dict(source, split='val', **carve, test_mode=True,
                 pipeline=test_pipeline),
            dict(source, split='test', test_mode=True,
                 pipeline=test_pipeline))


celeba_train, celeba_val, celeba_test = splits(
    'CelebADataset', celeba_root, crop_train_pipeline, crop_test_pipeline)
# LFWA and the wild set have no val partition: 10 % of train, by a hash of
# the person (LFWA) or the photo (wild), is carved out as val. Choices
# (thresholds, weights, schedules) are made there, never on test.
val_fraction = 0.1
lfwa_train, lfwa_val, lfwa_test = splits(
    'LFWADataset', lfwa_root, mining_train_pipeline, boxed_test_pipeline,
    val_fraction=val_fraction)
wild_train, wild_val, wild_test = splits(
    'WildFaceDataset', wild_root, mining_train_pipeline, boxed_test_pipeline,
    val_fraction=val_fraction)

# Whole photos for the cascade (test_cfg.mode='cascade'): no crop, no
# resize; the raw annotations ride along for CocoMetric (it converts them to
# COCO itself when ann_file is None). `split='val'` runs on the carved val.
cascade_test_pipeline = [
    test_load_image,
    dict(type='LoadFaceAnnotations', num_attributes=num_attributes),
    dict(
        type='PackFaceInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'instances'))
]
wild_cascade_test = dict(
    type='WildFaceDataset',
    data_root=wild_root,
    split='test',
    val_fraction=val_fraction,
    test_mode=True,
    pipeline=cascade_test_pipeline)
cascade_test_evaluator = [
    dict(type='CocoMetric', metric='bbox', ann_file=None, classwise=False),
    dict(type='LandmarkNME', match_mode='iou', rescale_gt=False)
]
