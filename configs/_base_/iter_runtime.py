# The runtime of iteration-based CPU training: a checkpoint every 1,000
# iterations (the last two kept), iteration-based logs, and the dynamic
# weights and task gradient shares in the log.
_base_ = './default_runtime.py'

default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=1000, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
custom_hooks = [
    dict(type='DynamicWeightLoggerHook', interval=20, stages=('l', )),
    dict(type='TaskGradientShareHook', interval=100)
]
