# Two more epochs for the CPU-sized MCFA that teach its face classifier what
# a near miss looks like, so that the whole-image cascade keeps fewer boxes
# beside each face. Starts from the 6-epoch CPU model (docs/study_log.md).
#
# Why: the paper's non-faces overlap no face (IoU < 0.001). A classifier
# trained on them calls a window twice a face's side a face (p = 0.98), and
# two thirds of L_Net's boxes on wild photos are such near misses (IoU
# 0.001-0.3; docs/study_log.md).
# MTCNN's rule, IoU < 0.3, makes them negatives, and its 3:1:1
# negative:positive:part mix makes them frequent. CelebA crops keep
# training the attributes alongside.
_base_ = './mcfa_vgg16-w025-128px_1xb32-8e_celeba-multisource.py'

# the 6-epoch CPU run of docs/study_log.md; override with
# --cfg-options load_from=PATH
load_from = 'work_dirs/mcfa_cpu_6e/epoch_6.pth'

mining_train_pipeline = [
    dict(type='LoadFaceImageFromFile'),
    dict(type='LoadFaceAnnotations', num_attributes=40),
    dict(
        type='MineFaceSample',
        sample_ratios=dict(positive=1, part=1, negative=3),
        iou_ranges=dict(negative=(0.0, 0.3))),
    {{_base_.resize}},
    dict(type='FaceRandomFlip', prob=0.5),
    dict(type='FaceColorJitter', prob=0.5),
    dict(type='PackFaceInputs')
]
# the base's sources, the photos mined with the pipeline above
train_dataloader = dict(
    dataset=dict(datasets=[
        d if d['type'] == 'CelebADataset' else dict(
            d, pipeline=mining_train_pipeline)
        for d in _base_.train_dataloader.dataset.datasets
    ]))

# a fine-tune: short warm-up, then cosine from a quarter of the base rate
max_epochs = 2
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
# the base's warm-up and cosine decay, over this run's epochs
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=0.1, end=50),
    dict(_base_.param_scheduler[1], T_max=max_epochs, eta_min=1e-5,
         end=max_epochs)
]
optim_wrapper = dict(optimizer=dict(lr=5e-4))
