# MMDetection's runtime, plus what every mcfa-mm config needs.
_base_ = 'mmdet::_base_/default_runtime.py'

custom_imports = dict(imports=['mcfa_mm'], allow_failed_imports=False)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    visualization=dict(type='DetVisualizationHook'))
# L_Net's per-attribute weights in the log; all stages in dynamic_weights.jsonl
custom_hooks = [
    dict(type='DynamicWeightLoggerHook', interval=20, stages=('l', ))
]
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='FaceVisualizer', vis_backends=vis_backends, name='visualizer')
