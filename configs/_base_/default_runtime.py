# MMDetection's runtime, plus what every mcfa-mm config needs.
_base_ = 'mmdet::_base_/default_runtime.py'

custom_imports = dict(imports=['mcfa_mm'], allow_failed_imports=False)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    # written to a temporary file and renamed: a run killed while saving
    # never leaves a half-written checkpoint for --resume to pick up
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        max_keep_ckpts=3,
        backend_args=dict(backend='atomic_local')),
    # a NaN / inf loss stops training, naming the loss, its stage and task
    check_loss=dict(type='CheckFiniteLossHook', interval=1),
    # a checkpoint of another model is an error naming the file and keys
    checkpoint_fit=dict(type='CheckpointFitHook'),
    visualization=dict(type='DetVisualizationHook'))
# L_Net's per-attribute weights (and every stage's entropy) in the log
custom_hooks = [
    dict(type='DynamicWeightLoggerHook', interval=20, stages=('l', ))
]
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='FaceVisualizer', vis_backends=vis_backends, name='visualizer')
