# The LFWA fine-tune (the paper's step) of the round-6 model
# (mcfa-recipe_vgg16-w025-128px_bf16_1xb32-8500i_celeba-extra-multisource):
# the schedule chosen on the carved LFWA val split in round 5 (900
# iterations at lr 2e-3), with that model's landmark weight and its bf16
# autocast / channels-last training. About 6 minutes on 2 cores.
#
#   OMP_NUM_THREADS=2 python tools/train.py THIS_CONFIG --cfg-options load_from=ROUND6.pth
#   python tools/test.py THIS_CONFIG work_dirs/<this>/iter_900.pth
_base_ = './mcfa-recipe_vgg16-w025-128px_1xb32-900i_lfwa-ft.py'

model = dict(
    channels_last=True,
    head=dict(loss_weights=dict(landmark=2.0)),
    test_cfg=dict(precision='bf16'))
optim_wrapper = dict(type='CPUAmpOptimWrapper', dtype='bfloat16')
