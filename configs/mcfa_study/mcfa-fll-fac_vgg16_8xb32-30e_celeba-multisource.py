# MCFA_FLL_FAC: facial landmark localisation and attributes.
_base_ = '../mcfa/mcfa_vgg16_8xb32-30e_celeba-multisource.py'

model = dict(head=dict(tasks=('landmark', 'attribute')))
