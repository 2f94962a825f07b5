# The recipe's data at 128 px: every training batch of 32 holds the same mix
# of attribute faces (CelebA crops), landmark faces (positives mined from
# LFWA / wild photos, which also carry LFWA's attributes), part faces and
# non-faces, whatever the sizes of the sets (mmdet's MultiSourceSampler,
# rank by rank under DDP; it is infinite, hence an iteration-based loop).
# Non-faces as MTCNN makes them: IoU < 0.3 with every face, so near misses
# are negatives and the cascade keeps few boxes per face. LFWA and the wild
# set lose 10 % of train to a carved val split. Validated on CelebA val.
#
# Also the evaluation sets of every test config of a 128-px model.
_base_ = ['./face_sources.py', './face_loaders.py']

input_size = 128
resize = dict(
    type='FaceResize', scale=(input_size, input_size), keep_ratio=False)
(crop_train_pipeline, mining_train_pipeline, crop_test_pipeline,
 boxed_test_pipeline) = ([
     resize if step['type'] == 'FaceResize' else step
     for step in _base_[name]
 ] for name in ('crop_train_pipeline', 'mining_train_pipeline',
                'crop_test_pipeline', 'boxed_test_pipeline'))


def mined(mining_type):
    """Pipeline that mines one kind of crop from LFWA / wild photos."""
    return [
        dict(type='LoadFaceImageFromFile'),
        dict(type='LoadFaceAnnotations', num_attributes=40),
        dict(
            type='MineFaceSample',
            sample_ratios={mining_type: 1},
            iou_ranges=dict(negative=(0.0, 0.3))),
        resize,
        dict(type='FaceRandomFlip', prob=0.5),
        dict(type='FaceColorJitter', prob=0.5),
        dict(type='PackFaceInputs')
    ]


def photos(pipeline):
    """LFWA and wild train photos (their carved val left out), each through
    ``pipeline``."""
    return dict(
        type='ConcatDataset',
        ignore_keys=['attribute_names'],
        datasets=[
            dict(
                type=dataset_type,
                data_root=data_root,
                split='train',
                val_fraction={{_base_.val_fraction}},
                pipeline=pipeline)
            for dataset_type, data_root in (
                ('LFWADataset', {{_base_.lfwa_root}}),
                ('WildFaceDataset', {{_base_.wild_root}}))
        ])


batch_size = 32
attribute_faces = dict(
    type='CelebADataset',
    data_root={{_base_.celeba_root}},
    split='train',
    pipeline=crop_train_pipeline)
landmark_faces = photos(mined('positive'))
part_faces = photos(mined('part'))
non_faces = photos(mined('negative'))
# every kind of crop at once, in the base mining's ratios (the study arms)
mined_photos = photos(mining_train_pipeline)
source_ratio = [12, 10, 3, 7]
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=2,
    persistent_workers=True,
    # one stacked image tensor and annotations inside the pickle: a batch
    # reaches the training process in ~10 ms instead of 30-70
    # (mcfa_mm/datasets/collate.py)
    collate_fn=dict(type='face_collate'),
    sampler=dict(
        type='MultiSourceSampler',
        batch_size=batch_size,
        source_ratio=source_ratio),
    batch_sampler=None,
    dataset=dict(
        type='ConcatDataset',
        # the inner ConcatDatasets add their cumulative_sizes to metainfo
        ignore_keys=['attribute_names', 'cumulative_sizes'],
        datasets=[attribute_faces, landmark_faces, part_faces, non_faces]))
val_dataloader = dict(
    **_base_.test_loader,
    dataset=dict(_base_.celeba_val, pipeline=crop_test_pipeline))
test_dataloader = dict(
    **_base_.test_loader,
    dataset=dict(_base_.celeba_test, pipeline=crop_test_pipeline))
val_evaluator = dict(type='AttributeAccuracy')
test_evaluator = val_evaluator

# Evaluation sets of the test configs (split='val' with val_fraction runs
# the carved val split). Crop mode: each face is cropped around its box, the
# prediction is its own. Cascade mode: whole photos.
lfwa_crops_test = dict(_base_.lfwa_test, pipeline=boxed_test_pipeline)
wild_crops_test = dict(_base_.wild_test, pipeline=boxed_test_pipeline)
crop_test_evaluator = [
    dict(type='AttributeAccuracy', match_mode='first'),
    dict(type='LandmarkNME', match_mode='first'),
    dict(type='FaceClassificationAccuracy')
]
landmark_test_evaluator = [dict(type='LandmarkNME', match_mode='first')]
# whole photos go one at a time (their sizes differ)
wild_photos_loader = dict(
    batch_size=1, num_workers=1, dataset=_base_.wild_cascade_test)
lfwa_photos_loader = dict(
    wild_photos_loader,
    dataset=dict(
        _base_.wild_cascade_test,
        type='LFWADataset',
        data_root={{_base_.lfwa_root}}))
