# MCFA (all four tasks) at full size, for GPUs: CelebA attributes + LFWA +
# in-the-wild boxes / landmarks + mined non-faces, 8 GPUs x 32 crops.
_base_ = [
    '../_base_/models/mcfa_vgg16.py',
    '../_base_/datasets/multisource_faces.py',
    '../_base_/schedules/sgd_30e.py', '../_base_/default_runtime.py'
]
