"""The three VGG-16 slices of MCFA over an average-pooled image pyramid."""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig

#: VGG-16's five conv blocks: (number of 3x3 convs, output channels).
VGG16_BLOCKS: Tuple[Tuple[int, int], ...] = ((2, 64), (2, 128), (3, 256),
                                             (3, 512), (3, 512))
#: How many VGG blocks each sub-network uses (S: conv1_1..conv3_3,
#: M: ..conv4_3, L: ..conv5_3) and the pyramid level it sees (input / 2**k).
STAGE_BLOCKS: Dict[str, int] = {'s': 3, 'm': 4, 'l': 5}
STAGE_LEVELS: Dict[str, int] = {'s': 2, 'm': 1, 'l': 0}
STAGES: Tuple[str, ...] = ('s', 'm', 'l')


def _scaled(channels: int, widen_factor: float) -> int:
    return max(1, int(round(channels * widen_factor)))


class VGGSlice(nn.Sequential):
    """VGG-16 conv blocks ``1..num_blocks``, each ending in a 2x2 max pool.

    Layers are named ``conv{b}_{i}`` like the original network, so that
    ImageNet weights can be loaded by name. A block's last ReLU comes after
    its max pool: the two commute exactly (max and ``max(0, .)`` are both
    monotonic, gradients included), and the ReLU then touches a quarter of
    the pixels (4 % of a bf16 training step; ReLU and BatchNorm are
    memory-bound there).

    Args:
        num_blocks (int): How many of VGG-16's five blocks to keep.
        widen_factor (float): Channel multiplier.
        with_bn (bool): Add BatchNorm after each conv (not in the paper;
            helps narrow models trained from scratch).
    """

    def __init__(self, num_blocks: int, widen_factor: float = 1.0,
                 with_bn: bool = False) -> None:
        layers = OrderedDict()
        block_ends = {}  # the name of each block's last layer -> block
        in_channels = 3
        for block, (num_convs, channels) in enumerate(
                VGG16_BLOCKS[:num_blocks], start=1):
            out_channels = _scaled(channels, widen_factor)
            for index in range(1, num_convs + 1):
                name = f'conv{block}_{index}'
                layers[name] = nn.Conv2d(in_channels, out_channels, 3,
                                         padding=1)
                if with_bn:
                    layers[f'bn{block}_{index}'] = nn.BatchNorm2d(out_channels)
                if index < num_convs:
                    layers[f'relu{block}_{index}'] = nn.ReLU(inplace=True)
                in_channels = out_channels
            layers[f'pool{block}'] = nn.MaxPool2d(2, 2)
            layers[f'relu{block}_{num_convs}'] = nn.ReLU(inplace=True)
            block_ends[f'relu{block}_{num_convs}'] = block - 1
        super().__init__(layers)
        self.block_ends = block_ends
        self.out_channels = in_channels
        self.num_blocks = num_blocks

    def forward_blocks(self, x: Tensor,
                       out_indices: Sequence[int]) -> Tuple[Tensor, ...]:
        """Run the slice and keep the pooled output of some blocks.

        Args:
            x (Tensor): Images ``(B, 3, H, W)``.
            out_indices (Sequence[int]): 0-based block indices; block ``i``'s
                pooled map has stride ``2 ** (i + 1)``.

        Returns:
            tuple[Tensor]: The chosen blocks' maps, in block order.
        """
        outs = []
        for name, layer in self.named_children():
            x = layer(x)
            if self.block_ends.get(name, -1) in out_indices:
                outs.append(x)
            if len(outs) == len(out_indices):
                break  # later blocks are not needed
        return tuple(outs)


@MODELS.register_module()
class MCFAPyramidVGG(BaseModule):
    """S_Net, M_Net and L_Net feature extractors of MCFA (paper, II-B).

    The input (``input_size`` square, 224 in the paper) is average-pooled to
    1/2 and 1/4 to build the image pyramid. S_Net runs VGG-16 conv1_1..conv3_3
    on the 1/4 level and ends, fully convolutionally, in the shared
    ``1 x 1 x 256`` feature (a conv whose kernel covers the whole pooled map,
    so S_Net slides over larger images like MTCNN's P-Net with stride 8).
    M_Net runs conv1_1..conv4_3 on the 1/2 level and L_Net conv1_1..conv5_3
    on the full level; their pooled maps go to the cascade neck.

    Args:
        input_size (int): Side of L_Net's input; M and S see 1/2 and 1/4.
            Must be divisible by 32.
        widen_factor (float): Multiplier of every conv's channels (1.0 is
            VGG-16; 0.25 gives a CPU-sized model of the same architecture).
        with_bn (bool): BatchNorm after each conv.
        num_stages (int): 1 (S), 2 (S+M) or 3 (S+M+L) sub-networks to build.
        out_indices (Sequence[int], optional): Turn the backbone into an
            ordinary multi-scale one for a stock MMDetection detector and
            neck (e.g. RetinaNet with FPN): only the slice of the last
            stage (``num_stages``: 1 S_Net, 2 M_Net, 3 L_Net) is built, it
            runs on the whole input at its own resolution (no pyramid, any
            size divisible by 32), and ``forward`` returns the pooled maps
            of these 0-based VGG blocks; block ``i`` has stride
            ``2 ** (i + 1)`` and :attr:`out_channels` channels, e.g.
            ``(2, 3, 4)`` gives conv3_3, conv4_3 and conv5_3 at strides 8,
            16 and 32. Defaults to None: MCFA's cascade outputs.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained',
            checkpoint='vgg16.pth')`` loads ImageNet VGG-16 weights from a
            local file in torchvision's (``features.N.weight``) or the
            original Caffe (``conv1_1.weight``) key layout into all the
            built slices (see :meth:`init_weights`).
    """

    def __init__(self,
                 input_size: int = 224,
                 widen_factor: float = 1.0,
                 with_bn: bool = False,
                 num_stages: int = 3,
                 out_indices: Optional[Sequence[int]] = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if input_size % 32:
            raise ValueError(f'input_size must be divisible by 32 (VGG pools '
                             f'5 times), got {input_size}')
        if num_stages not in (1, 2, 3):
            raise ValueError(f'num_stages must be 1, 2 or 3, got {num_stages}')
        self.input_size = input_size
        self.widen_factor = widen_factor
        self.out_indices = self._check_out_indices(out_indices, num_stages)
        if self.out_indices is None:
            self.stages = STAGES[:num_stages]
        else:
            # a stock detector uses one slice: the others would be
            # parameters without gradients (an error under DDP)
            self.stages = (STAGES[num_stages - 1], )
        for stage in self.stages:
            setattr(self, f'{stage}_net',
                    VGGSlice(STAGE_BLOCKS[stage], widen_factor, with_bn))
        if self.out_indices is not None:
            return
        # S's pooled map is (input/4)/8 = input/32 wide: one kernel covers it.
        self.s_map_size = input_size // 32
        self.s_channels = _scaled(256, widen_factor)
        self.s_shared = nn.Sequential(
            nn.Conv2d(self.s_net.out_channels, self.s_channels,
                      self.s_map_size), nn.ReLU(inplace=True))

    @staticmethod
    def _check_out_indices(out_indices: Optional[Sequence[int]],
                           num_stages: int) -> Optional[Tuple[int, ...]]:
        """``out_indices`` as a sorted tuple; raise if out of range."""
        if out_indices is None:
            return None
        indices = tuple(sorted(set(int(i) for i in out_indices)))
        num_blocks = STAGE_BLOCKS[STAGES[num_stages - 1]]
        if not indices or indices[0] < 0 or indices[-1] >= num_blocks:
            raise ValueError(
                f'out_indices must be non-empty block indices in [0, '
                f'{num_blocks}) for num_stages={num_stages}, got '
                f'{tuple(out_indices)}')
        return indices

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """Channels of each ``out_indices`` map (for the neck's config)."""
        if self.out_indices is None:
            raise AttributeError('out_channels is defined with out_indices '
                                 'only; see stage_channels')
        return tuple(
            _scaled(VGG16_BLOCKS[i][1], self.widen_factor)
            for i in self.out_indices)

    @property
    def stage_channels(self) -> Dict[str, int]:
        """Channels of each stage's output map (cascade mode)."""
        if self.out_indices is not None:
            raise AttributeError('stage_channels is defined without '
                                 'out_indices only; see out_channels')
        channels = {'s': self.s_channels}
        for stage in self.stages[1:]:
            channels[stage] = getattr(self, f'{stage}_net').out_channels
        return channels

    def forward(self, x: Tensor,
                num_stages: Optional[int] = None) -> Tuple[Tensor, ...]:
        """Run the first ``num_stages`` sub-networks on ``x``.

        Args:
            x (Tensor): Images ``(B, 3, H, W)``, H = W = ``input_size`` for
                the cascade; S alone (``num_stages=1``) accepts any size of
                at least ``input_size / 4 * 4`` and slides over it.
            num_stages (int, optional): Defaults to all built stages.

        Returns:
            tuple[Tensor]: S's shared map ``(B, 256w, h, w)`` (1x1 at
            ``input_size``), then M's and L's pooled conv maps; with
            ``out_indices``, the chosen blocks' maps of the one slice.
        """
        if self.out_indices is not None:
            if num_stages is not None:
                raise ValueError('num_stages has no meaning with out_indices')
            return getattr(self, f'{self.stages[0]}_net').forward_blocks(
                x, self.out_indices)
        num_stages = num_stages or len(self.stages)
        pyramid = [x]
        for _ in range(STAGE_LEVELS['s']):
            pyramid.append(F.avg_pool2d(pyramid[-1], 2))
        outs = []
        for stage in self.stages[:num_stages]:
            feat = getattr(self, f'{stage}_net')(pyramid[STAGE_LEVELS[stage]])
            outs.append(self.s_shared(feat) if stage == 's' else feat)
        return tuple(outs)

    def slide_s_net(self, x: Tensor) -> Tensor:
        """Slide S_Net over ``x`` at its own resolution (no pyramid).

        Each output cell scores an ``input_size / 4`` window; cells are 8
        pixels apart (S_Net's three pools).

        Args:
            x (Tensor): Images ``(B, 3, H, W)``, H, W >= ``input_size / 4``.

        Returns:
            Tensor: S's shared map ``(B, C_s, (H - win) // 8 + 1, ...)``.
        """
        return self.s_shared(self.s_net(x))

    def init_weights(self) -> None:
        """Initialise, loading local VGG-16 weights when ``init_cfg`` says.

        MMEngine's generic ``Pretrained`` initialiser matches keys by name,
        which fits neither torchvision's ``features.N`` nor Caffe's
        ``conv1_1`` layout of VGG-16, so the checkpoint is mapped onto every
        slice here (each slice shares VGG-16's first layers).
        """
        init_cfg = self.init_cfg
        if not (isinstance(init_cfg, dict)
                and init_cfg.get('type') == 'Pretrained'):
            super().init_weights()
            return
        self.init_cfg = None
        super().init_weights()
        self.init_cfg = init_cfg
        from mmengine.runner.checkpoint import CheckpointLoader
        checkpoint = CheckpointLoader.load_checkpoint(
            init_cfg['checkpoint'], map_location='cpu')
        state_dict = checkpoint.get('state_dict', checkpoint)
        vgg_weights = vgg16_conv_weights(state_dict)
        loaded = 0
        for stage in self.stages:
            loaded += load_vgg_slice(getattr(self, f'{stage}_net'),
                                     vgg_weights)
        print_log(f'MCFAPyramidVGG: loaded {loaded} VGG-16 conv tensors from '
                  f'{init_cfg["checkpoint"]}', logger='current')
        self._is_init = True


def vgg16_conv_names() -> List[str]:
    """The 13 conv layer names of VGG-16 in order (``conv1_1`` ...)."""
    return [f'conv{block}_{index}'
            for block, (num_convs, _) in enumerate(VGG16_BLOCKS, start=1)
            for index in range(1, num_convs + 1)]


def vgg16_conv_weights(state_dict: Dict[str, Tensor]
                       ) -> Dict[str, Tuple[Tensor, Tensor]]:
    """Map a VGG-16 state dict to ``{conv name: (weight, bias)}``.

    Args:
        state_dict (dict): torchvision layout (``features.0.weight`` ...,
            possibly with BatchNorm layers of ``vgg16_bn`` in between) or
            Caffe layout (``conv1_1.weight`` ...), optionally prefixed (e.g.
            ``backbone.``).

    Returns:
        dict: The 13 conv layers' weights in VGG-16 order.

    Raises:
        KeyError: If the state dict has neither layout.
    """
    names = vgg16_conv_names()
    caffe = {}
    for name in names:
        keys = [k for k in state_dict if k.endswith(f'{name}.weight')]
        if keys:
            prefix = keys[0][:-len('weight')]
            caffe[name] = (state_dict[prefix + 'weight'],
                           state_dict[prefix + 'bias'])
    if len(caffe) == len(names):
        return caffe
    # torchvision: the conv layers are the 4-D weights under `features.`
    # in index order (BatchNorm weights are 1-D and skipped).
    conv_keys = sorted(
        (k for k, v in state_dict.items()
         if 'features.' in k and k.endswith('.weight') and v.dim() == 4),
        key=lambda k: int(k.split('features.')[1].split('.')[0]))
    if len(conv_keys) != len(names):
        raise KeyError(
            'Not a VGG-16 state dict: expected 13 conv layers named '
            "'conv1_1' ... 'conv5_3' (Caffe) or 'features.N' (torchvision), "
            f'found {len(caffe)} and {len(conv_keys)}')
    return {
        name: (state_dict[key], state_dict[key[:-len('weight')] + 'bias'])
        for name, key in zip(names, conv_keys)
    }


def load_vgg_slice(vgg_slice: VGGSlice,
                   weights: Dict[str, Tuple[Tensor, Tensor]]) -> int:
    """Copy VGG-16 conv weights into a (possibly narrower) slice.

    A narrow slice (``widen_factor < 1``) takes the leading output and input
    channels of each pretrained filter bank.

    Args:
        vgg_slice (VGGSlice): The slice to fill.
        weights (dict): Output of :func:`vgg16_conv_weights`.

    Returns:
        int: Number of tensors copied.
    """
    copied = 0
    with torch.no_grad():
        for name, module in vgg_slice.named_children():
            if not isinstance(module, nn.Conv2d):
                continue
            weight, bias = weights[name]
            out_c, in_c = module.weight.shape[:2]
            module.weight.copy_(weight[:out_c, :in_c])
            module.bias.copy_(bias[:out_c])
            copied += 2
    return copied
