# MCFA at the paper's size: VGG-16 slices at 56 / 112 / 224, fc 1024,
# shared features 256 / 1280 / 2304, 40 CelebA attributes.
model = dict(
    type='MCFA',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='MCFAPyramidVGG',
        input_size=224,
        widen_factor=1.0,
        with_bn=False,
        # ImageNet VGG-16 from a local file, torchvision or Caffe layout:
        # init_cfg=dict(type='Pretrained', checkpoint='checkpoints/vgg16.pth')
    ),
    neck=dict(
        type='MCFACascadeNeck',
        in_channels=(256, 512, 512),
        map_size=7,
        fc_channels=1024,
        dropout=0.0),
    head=dict(
        type='MCFAHead',
        # in_channels: the neck's out_channels, passed by the detector
        hidden_channels=(256, 512, 512),
        num_attributes=40,
        tasks=('face_cls', 'bbox', 'landmark', 'attribute'),
        loss_attr=dict(
            type='DynamicWeightAttributeLoss',
            mode='adversarial',
            entropy_weight=0.5,
            # Eq. 4 as written: the weights sum to 1, so the attribute
            # loss is a mean over d. The CPU-sized multi-source config
            # (AdamW) scales it by d: without that the attributes hardly
            # learn next to the other tasks (docs/study_log.md). With SGD
            # that also multiplies the attributes' step: lower lr with it.
            scale_by_num_attributes=False),
        ohem_ratio=0.7),
    # crop mode; test_cfg.cascade holds what a config changes of the
    # whole-image cascade's settings (CASCADE_DEFAULTS, mcfa_mm/models/
    # detectors/cascade.py: faces from 40 px, MTCNN's thresholds)
    test_cfg=dict(mode='crop'))
