# MCFA's backbone in a stock MMDetection detector: RetinaNet with a standard
# FPN on MCFAPyramidVGG's L_Net slice (VGG-16 at 1/4 width with BatchNorm,
# as in the CPU-sized MCFA), whose out_indices (2, 3, 4) give conv3_3,
# conv4_3 and conv5_3 at strides 8, 16 and 32, instead of ResNet's C3-C5.
# The data, splits, test and one-hour budget are the YOLOX-nano baseline's.
_base_ = './yolox_nano_1xb16-1h_wild-lfwa-faces.py'

widen_factor = 0.25
fpn_channels = 64
model = dict(
    _delete_=True,
    type='RetinaNet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='MCFAPyramidVGG',
        widen_factor=widen_factor,
        with_bn=True,
        out_indices=(2, 3, 4)),
    neck=dict(
        type='FPN',
        # VGG-16's 256, 512, 512 channels at 1/4 width
        in_channels=[64, 128, 128],
        out_channels=fpn_channels,
        start_level=0,
        add_extra_convs='on_input',
        num_outs=5),
    bbox_head=dict(
        type='RetinaHead',
        num_classes=1,
        in_channels=fpn_channels,
        stacked_convs=4,
        feat_channels=fpn_channels,
        anchor_generator=dict(
            type='AnchorGenerator',
            octave_base_scale=4,
            scales_per_octave=3,
            ratios=[0.5, 1.0, 2.0],
            strides=[8, 16, 32, 64, 128]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(
            type='FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    train_cfg=dict(
        assigner=dict(
            type='MaxIoUAssigner',
            pos_iou_thr=0.5,
            neg_iou_thr=0.4,
            min_pos_iou=0,
            ignore_iof_thr=-1),
        sampler=dict(type='PseudoSampler'),
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=0.05,
        nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=20))

# RetinaNet's optimiser (SGD 0.01) and a plain warm-up + cosine schedule;
# none of YOLOX's hooks (mode switch, EMA)
max_iters = {{_base_.max_iters}}
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=100),
    dict(
        type='CosineAnnealingLR',
        eta_min=0,
        begin=0,
        T_max=max_iters,
        end=max_iters,
        by_epoch=False)
]
custom_hooks = []
