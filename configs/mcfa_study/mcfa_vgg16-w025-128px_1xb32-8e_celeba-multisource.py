# The same MCFA, sized for a 2-core CPU (_base_/models/
# mcfa_vgg16-w025-128px.py: 1/4 width with BatchNorm, 128 px, fc 256).
# Trained from scratch with AdamW on every source (CelebA attributes, LFWA,
# in-the-wild, mined non-faces) in epochs of their natural mix, with the
# paper's losses; validated on CelebA val. (The 128-px pipelines are the
# recipe's.)
_base_ = [
    '../_base_/models/mcfa_vgg16-w025-128px.py',
    '../_base_/datasets/recipe_faces.py', '../_base_/schedules/adam_8e.py',
    '../_base_/default_runtime.py'
]
model = dict(test_cfg=dict(cascade=dict(min_face_size=20)))

# LFWA and the wild set have no val partition: training leaves out the 10 %
# of train carved out as their val split, where their configs validate.
train_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        # the in-the-wild set has no attribute names; CelebA's order rules
        ignore_keys=['attribute_names'],
        datasets=[
            dict(
                type='CelebADataset',
                data_root={{_base_.celeba_root}},
                split='train',
                pipeline={{_base_.crop_train_pipeline}}),
        ] + [
            dict(
                type=dataset_type,
                data_root=data_root,
                split='train',
                val_fraction={{_base_.val_fraction}},
                pipeline={{_base_.mining_train_pipeline}})
            for dataset_type, data_root in (
                ('LFWADataset', {{_base_.lfwa_root}}),
                ('WildFaceDataset', {{_base_.wild_root}}))
        ]))
