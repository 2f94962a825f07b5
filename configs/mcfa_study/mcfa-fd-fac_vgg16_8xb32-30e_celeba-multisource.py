# MCFA_FD_FAC: face detection (face/non-face + box) and attributes.
_base_ = '../mcfa/mcfa_vgg16_8xb32-30e_celeba-multisource.py'

model = dict(head=dict(tasks=('face_cls', 'bbox', 'attribute')))
