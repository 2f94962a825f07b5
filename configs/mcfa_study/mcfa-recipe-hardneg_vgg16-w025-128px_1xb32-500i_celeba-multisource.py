# Second phase of the recipe: MTCNN's hard negatives. The model of the first
# phase runs its cascade over the TRAIN photos, and the windows it wrongly
# calls faces (IoU < 0.3 with every labelled face) become non-faces:
#
#   python tools/misc/mine_hard_negatives.py \
#       configs/mcfa/mcfa_vgg16-w025-128px_cascade_wild.py PHASE1.pth \
#       --split train --out work_dirs/hard_negatives/wild.txt \
#       --cfg-options test_dataloader.dataset.val_fraction=0.1
#
# (the same for LFWA with ..._cascade_lfwa.py and lfwa.txt), then
#
#   python tools/train.py THIS_CONFIG --cfg-options load_from=PHASE1.pth
#
# (or set MCFA_HARD_NEGATIVES to the folder of lfwa.txt and wild.txt).
# Half of the batch's non-faces come from the mined file, the rest are drawn
# at random as in the first phase.
_base_ = './mcfa-recipe_vgg16-w025-128px_1xb32-3000i_celeba-multisource.py'

hard_negatives_dir = '{{$MCFA_HARD_NEGATIVES:work_dirs/hard_negatives}}'
load_from = None  # the first phase's checkpoint: --cfg-options load_from=


def hard_negatives(dataset_type, data_root, negatives_file):
    """Train photos of one set, cut around the model's false positives."""
    return dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        val_fraction={{_base_.val_fraction}},
        pipeline=[
            dict(type='LoadFaceImageFromFile'),
            dict(type='LoadFaceAnnotations', num_attributes=40),
            dict(type='HardNegativeCrop', negatives_file=negatives_file),
            {{_base_.resize}},
            dict(type='FaceRandomFlip', prob=0.5),
            dict(type='FaceColorJitter', prob=0.5),
            dict(type='PackFaceInputs')
        ])


train_dataloader = dict(
    sampler=dict(source_ratio=[12, 10, 3, 4, 3]),
    dataset=dict(datasets=[
        {{_base_.attribute_faces}}, {{_base_.landmark_faces}},
        {{_base_.part_faces}}, {{_base_.non_faces}},
        dict(
            type='ConcatDataset',
            ignore_keys=['attribute_names'],
            datasets=[
                hard_negatives('LFWADataset', {{_base_.lfwa_root}},
                               hard_negatives_dir + '/lfwa.txt'),
                hard_negatives('WildFaceDataset', {{_base_.wild_root}},
                               hard_negatives_dir + '/wild.txt')
            ])
    ]))

# a fine-tune: short warm-up, cosine from a quarter of the base rate
max_iters = 500
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=0.1, end=50),
    _base_.param_scheduler[1]
]
optim_wrapper = dict(optimizer=dict(lr=5e-4))
