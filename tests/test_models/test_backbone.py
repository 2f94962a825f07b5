import pytest
import torch

from mcfa_mm.models.backbones import (MCFAPyramidVGG, vgg16_conv_names,
                                      vgg16_conv_weights)


@pytest.mark.parametrize('input_size,widen', [(224, 1.0), (64, 0.125)])
def test_stage_shapes(input_size, widen):
    backbone = MCFAPyramidVGG(input_size=input_size, widen_factor=widen)
    s, m, large = backbone(torch.rand(2, 3, input_size, input_size))
    side = input_size // 32
    assert s.shape == (2, int(256 * widen), 1, 1)
    assert m.shape == (2, int(512 * widen), side, side)
    assert large.shape == (2, int(512 * widen), side, side)


def test_s_net_slides_over_larger_images():
    backbone = MCFAPyramidVGG(input_size=64, widen_factor=0.125)
    (s, ) = backbone(torch.rand(1, 3, 128, 192), num_stages=1)
    # a 64-pixel window every 8 pixels of the 1/4 level = every 32 pixels
    assert s.shape[-2:] == (128 // 32 - 1, 192 // 32 - 1)


def test_bad_input_size():
    with pytest.raises(ValueError, match='divisible by 32'):
        MCFAPyramidVGG(input_size=100)


def _torchvision_vgg16_state_dict(with_bn=False):
    """A state dict in torchvision's VGG-16 key layout, random values."""
    cfg = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512,
           'M', 512, 512, 512, 'M']
    state, index, cin = {}, 0, 3
    for v in cfg:
        if v == 'M':
            index += 1
            continue
        state[f'features.{index}.weight'] = torch.randn(v, cin, 3, 3)
        state[f'features.{index}.bias'] = torch.randn(v)
        index += 1
        if with_bn:
            state[f'features.{index}.weight'] = torch.randn(v)
            state[f'features.{index}.bias'] = torch.randn(v)
            index += 1
        index += 1  # ReLU
        cin = v
    state['classifier.0.weight'] = torch.randn(4, 4)
    return state


@pytest.mark.parametrize('with_bn', [False, True])
def test_torchvision_layout_mapping(with_bn):
    state = _torchvision_vgg16_state_dict(with_bn)
    weights = vgg16_conv_weights(state)
    assert list(weights) == vgg16_conv_names()
    # conv2_1 is features.5 without BN, features.7 with BN
    key = 'features.7.weight' if with_bn else 'features.5.weight'
    assert torch.equal(weights['conv2_1'][0], state[key])


def test_pretrained_init_cfg_loads_right_tensors(tmp_path):
    state = _torchvision_vgg16_state_dict()
    path = str(tmp_path / 'vgg16.pth')
    torch.save(state, path)
    backbone = MCFAPyramidVGG(
        input_size=64,
        widen_factor=0.25,
        init_cfg=dict(type='Pretrained', checkpoint=path))
    backbone.init_weights()
    # conv3_3 of torchvision's VGG-16 is features.14; narrow slices take the
    # leading channels of every filter bank
    expected = state['features.14.weight'][:64, :64]
    assert torch.equal(backbone.s_net.conv3_3.weight, expected)
    assert torch.equal(backbone.l_net.conv5_3.weight,
                       state['features.28.weight'][:128, :128])
    assert torch.equal(backbone.m_net.conv1_1.bias,
                       state['features.0.bias'][:16])


def test_caffe_layout(tmp_path):
    tv = vgg16_conv_weights(_torchvision_vgg16_state_dict())
    caffe = {}
    for name, (w, b) in tv.items():
        caffe[f'{name}.weight'], caffe[f'{name}.bias'] = w, b
    weights = vgg16_conv_weights(caffe)
    assert torch.equal(weights['conv4_2'][0], tv['conv4_2'][0])


def test_not_vgg_raises():
    with pytest.raises(KeyError, match='Not a VGG-16 state dict'):
        vgg16_conv_weights({'fc.weight': torch.zeros(2, 2)})


@pytest.mark.parametrize('with_bn', [False, True])
def test_relu_after_pool_is_vggs_conv_relu_pool(with_bn):
    """Each block's last ReLU runs after its max pool (a quarter of the
    pixels): outputs and gradients equal VGG's conv-ReLU-pool order."""
    from mcfa_mm.models.backbones.vgg_pyramid import VGGSlice
    torch.manual_seed(0)
    vgg_slice = VGGSlice(3, widen_factor=0.25, with_bn=with_bn).train()
    names = [name for name, _ in vgg_slice.named_children()]
    assert names.index('relu2_2') == names.index('pool2') + 1
    assert names.index('relu3_1') < names.index('conv3_2')

    def vgg_order(x):
        for name, layer in vgg_slice.named_children():
            if name.startswith('pool'):
                x = layer(torch.relu(x))
            elif name not in vgg_slice.block_ends:
                x = layer(x)
        return x

    x = torch.randn(2, 3, 32, 32, requires_grad=True)
    ours = vgg_slice(x)
    (grad_ours, ) = torch.autograd.grad(ours.square().sum(), x)
    expected = vgg_order(x)
    (grad_vgg, ) = torch.autograd.grad(expected.square().sum(), x)
    assert torch.equal(ours, expected)
    torch.testing.assert_close(grad_ours, grad_vgg, rtol=1e-6, atol=1e-7)
    blocks = vgg_slice.forward_blocks(x, (0, 2))
    assert [b.shape[-1] for b in blocks] == [16, 4]
    assert torch.equal(blocks[1], ours)
    assert (blocks[0] >= 0).all()  # after the block's ReLU
