# The same MCFA, sized for a 2-core CPU: VGG-16 slices at 1/4 width with
# BatchNorm, L_Net at 128 px (M 64, S 32), fc 256. Trained from scratch with
# AdamW on every source (CelebA attributes, LFWA, in-the-wild, mined
# non-faces); validated on CelebA val.
_base_ = [
    '../_base_/models/mcfa_vgg16.py',
    '../_base_/datasets/multisource_faces.py',
    '../_base_/schedules/adam_8e.py', '../_base_/default_runtime.py'
]
input_size = 128
fc_channels = 256
model = dict(
    backbone=dict(input_size=input_size, widen_factor=0.25, with_bn=True),
    neck=dict(
        in_channels=(64, 128, 128), map_size=input_size // 32,
        fc_channels=fc_channels),
    head=dict(
        hidden_channels=(64, 256, 256),
        # Eq. 4's weights sum to 1, so the attribute loss is a mean over 40
        # attributes next to whole-task box / landmark losses: with it as
        # written the shared trunk hardly learns attributes (measured in
        # docs/study_log.md). Scaling by d puts each attribute on par.
        loss_attr=dict(scale_by_num_attributes=True)),
    test_cfg=dict(min_face_size=20))

# The base pipelines with this size's resize: a child changes input_size
# (and this resize) once, not every pipeline.
resize = dict(
    type='FaceResize', scale=(input_size, input_size), keep_ratio=False)
(crop_train_pipeline, mining_train_pipeline, crop_test_pipeline,
 boxed_test_pipeline) = ([
     resize if step['type'] == 'FaceResize' else step
     for step in _base_[name]
 ] for name in ('crop_train_pipeline', 'mining_train_pipeline',
                'crop_test_pipeline', 'boxed_test_pipeline'))
# LFWA and the wild set have no val partition: training leaves out the 10 %
# of train carved out as their val split, where their configs validate.
train_dataloader = dict(
    dataset=dict(datasets=[
        dict(
            type='CelebADataset',
            data_root={{_base_.celeba_root}},
            split='train',
            pipeline=crop_train_pipeline),
        dict(
            type='LFWADataset',
            data_root={{_base_.lfwa_root}},
            split='train',
            val_fraction={{_base_.val_fraction}},
            pipeline=mining_train_pipeline),
        dict(
            type='WildFaceDataset',
            data_root={{_base_.wild_root}},
            split='train',
            val_fraction={{_base_.val_fraction}},
            pipeline=mining_train_pipeline)
    ]))
val_dataloader = dict(dataset=dict(pipeline=crop_test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=crop_test_pipeline))
