# The peer a face-detection user would pick instead of MCFA's cascade on a
# CPU: MMDetection's own YOLOX-nano (0.9 M parameters, depthwise CSPDarknet
# + PAFPN, trained from scratch: no ImageNet weights to download),
# unmodified but for one class. (SSDLite, the other from-scratch CPU
# detector mmdet ships, cannot predict in mmdet 3.3.0: "'SSDHead' object
# has no attribute 'loss_cls'", open-mmlab/mmdetection#11305.) It trains
# on the in-the-wild and LFWA photos through mcfa-mm's dataset classes (the
# only thing of ours it uses) for the CPU-sized MCFA's budget (about 50
# minutes on one core), and is tested like the MCFA cascade (configs/mcfa/
# mcfa_vgg16-w025-128px_cascade_wild.py): CocoMetric on the wild test split.
_base_ = 'mmdet::yolox/yolox_nano_8xb8-300e_coco.py'

custom_imports = dict(imports=['mcfa_mm'], allow_failed_imports=False)
wild_root = '{{$MCFA_WILD_ROOT:../shared/data/wild}}/'
lfwa_root = '{{$MCFA_LFWA_ROOT:../shared/data/lfwa}}/'

# The stock test size (416) for training too, and multi-scale batches of
# 320-416 px instead of 320-640: the faces of these photos are large (wild)
# or the photo is small (LFWA's 80 px), and smaller batches buy iterations.
img_scale = (416, 416)
model = dict(
    data_preprocessor=dict(batch_augments=[
        dict(
            type='BatchSyncRandomResize',
            random_size_range=(320, 416),
            size_divisor=32,
            interval=10)
    ]),
    bbox_head=dict(num_classes=1),
    # at most 20 boxes per photo, as the MCFA cascade's test config keeps
    test_cfg=dict(nms=dict(max_num=20)))

train_pipeline = [
    dict(type='Mosaic', img_scale=img_scale, pad_val=114.0),
    dict(
        type='RandomAffine',
        scaling_ratio_range=(0.5, 1.5),
        border=(-img_scale[0] // 2, -img_scale[1] // 2)),
    dict(type='YOLOXHSVRandomAug'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(
        type='Pad',
        pad_to_square=True,
        pad_val=dict(img=(114.0, 114.0, 114.0))),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1, 1), keep_empty=False),
    dict(type='PackDetInputs')
]
# the stock test pipeline; it also packs the raw `instances`, which
# CocoMetric turns into COCO ground truth itself (no ann_file)
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(
        type='Pad',
        pad_to_square=True,
        pad_val=dict(img=(114.0, 114.0, 114.0))),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'instances'))
]
# the splits MCFA trains, validates and tests on: 10 % of train carved out
# as val (by photo for wild, by person for LFWA), as configs/_base_/
# datasets/face_sources.py does
val_fraction = 0.1
load_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True)
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        # mosaic draws 3 more photos from the whole mix
        type='MultiImageMixDataset',
        dataset=dict(
            type='ConcatDataset',
            # wild has no attribute names, LFWA 40: boxes need none
            ignore_keys=['attribute_names'],
            datasets=[
                dict(
                    type='WildFaceDataset',
                    data_root=wild_root,
                    split='train',
                    val_fraction=val_fraction,
                    pipeline=load_pipeline),
                dict(
                    type='LFWADataset',
                    data_root=lfwa_root,
                    split='train',
                    val_fraction=val_fraction,
                    pipeline=load_pipeline)
            ]),
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        _delete_=True,
        type='WildFaceDataset',
        data_root=wild_root,
        split='test',
        test_mode=True,
        pipeline=test_pipeline))
# validation: the test loader on the val split carved out of wild train
val_dataloader = dict(
    test_dataloader,
    dataset=dict(
        test_dataloader['dataset'], split='val', val_fraction=val_fraction))
val_evaluator = dict(
    _delete_=True, type='CocoMetric', metric='bbox', ann_file=None)
test_evaluator = val_evaluator

# The recipe MCFA's budget, counted in iterations so that the schedule does
# not depend on the machine: 2,000 iterations took 50 minutes on one core
# (one torch thread, 1.5 s each) on 2026-12-01, against 54 minutes for the
# recipe's 3,000 (docs/study_log.md).
# YOLOX's stock schedule (quadratic warm-up, cosine to 5 % of the
# learning rate) in iterations; the mosaic stays on throughout, as it does
# for all but YOLOX's last 15 of 300 epochs.
max_iters = 2000
base_lr = 0.01
train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=max_iters)
param_scheduler = [
    dict(type='mmdet.QuadraticWarmupLR', by_epoch=False, begin=0, end=100),
    dict(
        type='CosineAnnealingLR',
        eta_min=base_lr * 0.05,
        begin=100,
        T_max=max_iters - 100,
        end=max_iters,
        by_epoch=False)
]
# YOLOX's lr of 8 GPUs x 8 for one process of 16: linear scaling (x 1/4)
# would leave a from-scratch model far from trained within the hour
optim_wrapper = dict(optimizer=dict(lr=base_lr))
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(by_epoch=False, interval=max_iters // 4,
                    max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
