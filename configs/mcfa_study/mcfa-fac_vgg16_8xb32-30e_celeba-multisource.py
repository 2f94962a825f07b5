# MCFA_FAC: attributes only (paper, III-B).
_base_ = '../mcfa/mcfa_vgg16_8xb32-30e_celeba-multisource.py'

model = dict(head=dict(tasks=('attribute', )))
