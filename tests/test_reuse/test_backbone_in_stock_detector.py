"""MCFAPyramidVGG as the backbone of a stock MMDetection detector."""
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mcfa_mm.models.backbones import MCFAPyramidVGG

RETINANET = ('baselines/'
             'retinanet_mcfa-vgg16-w025_fpn_1xb16-1h_wild-lfwa-faces.py')


def test_out_indices_give_a_multi_scale_pyramid_of_one_slice():
    backbone = MCFAPyramidVGG(widen_factor=0.25, with_bn=True,
                              out_indices=(2, 3, 4))
    feats = backbone(torch.rand(2, 3, 96, 160))
    # conv3_3, conv4_3, conv5_3 pooled: strides 8, 16, 32
    assert [f.shape for f in feats] == [(2, 64, 12, 20), (2, 128, 6, 10),
                                       (2, 128, 3, 5)]
    assert backbone.out_channels == (64, 128, 128)
    # only L_Net is built: no parameter of the detector is left unused
    assert [name for name, _ in backbone.named_children()] == ['l_net']
    sum(f.sum() for f in feats).backward()
    assert all(p.grad is not None for p in backbone.parameters())

    s_only = MCFAPyramidVGG(widen_factor=0.25, num_stages=1,
                            out_indices=(0, 1, 2))
    assert [f.shape[-1] for f in s_only(torch.rand(1, 3, 64, 64))
            ] == [32, 16, 8]
    assert [name for name, _ in s_only.named_children()] == ['s_net']


@pytest.mark.parametrize('out_indices,num_stages',
                         [((5, ), 3), ((3, ), 1), ((), 3), ((-1, ), 2)])
def test_bad_out_indices_raise(out_indices, num_stages):
    with pytest.raises(ValueError, match='out_indices'):
        MCFAPyramidVGG(num_stages=num_stages, out_indices=out_indices)


def test_retinanet_with_our_backbone_trains(data_env, config_path, tmp_path):
    cfg = Config.fromfile(config_path(RETINANET))
    assert cfg.model.type == 'RetinaNet' and cfg.model.neck.type == 'FPN'
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_iters = 2
    cfg.train_cfg.val_interval = 100
    cfg.train_dataloader.update(batch_size=2, num_workers=0,
                                persistent_workers=False)
    cfg.param_scheduler = None
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 100
    runner = Runner.from_cfg(cfg)
    model = runner.model
    assert isinstance(model.backbone, MCFAPyramidVGG)
    before = model.backbone.l_net.conv1_1.weight.detach().clone()
    runner.train()
    assert not torch.equal(before, model.backbone.l_net.conv1_1.weight)
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == 2 and all(torch.isfinite(torch.tensor(losses)))
