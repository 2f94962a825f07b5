"""Speed of MCFA through MMDetection vs the same network in plain PyTorch.

For each model (``full``: the paper's size, ``cpu``: the 1/4-width 128 px
model) and batch size, measures side by side, interleaving the arms because
a shared machine is noisy, and prints JSON (medians over repeats):

- training throughput (samples/s) of the detector's ``train_step`` (data
  preprocessor, data samples, targets built from them, optimizer wrapper)
  vs :class:`PlainMCFA`: the same layers, weights and losses as plain
  modules on plain tensors, with a plain ``torch.optim`` optimizer;
- crop-mode inference throughput (faces/s) of ``model.test_step`` (data
  preprocessor, ``predict``, data samples) vs the plain forward under
  ``torch.inference_mode``;
- the GFLOP/s each achieves (2 MACs per face, times 3 for a training step:
  forward plus a backward of twice its cost) against a large fp32 matmul
  timed in the same run.

``framework_overhead_ratio`` is detector / plain throughput and
``gflops_ratio`` achieved / matmul GFLOP/s. Before timing, the plain
network gets the detector's weights and must reproduce its raw outputs,
predictions and loss to 1e-4. ``--channels-last`` adds NHWC prediction arms
(the detector's ``test_cfg.channels_last`` option vs the plain network with
NHWC weights and inputs); ``--profile`` breaks one ``test_step`` of the
first model down into phases and its top aten ops.

Example (the final measurement, on a quiet machine)::

    python tools/analysis_tools/benchmark_speed.py --models full cpu \
        --batch-sizes 1 8 32 --iters 3 --warmup 1 --repeats 5 \
        --channels-last --profile
"""
import argparse
import copy
import json
import os.path as osp
import time
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from torch import Tensor

import mcfa_mm  # noqa: F401  (registers the components)
from mcfa_mm.models.heads.targets import FaceTargets, build_face_targets
from mcfa_mm.utils.benchmarking import (interleaved, machine_info,
                                        matmul_arm, median, setup_threads)
from mcfa_mm.testing import random_face_samples
from mcfa_mm.utils.complexity import count_macs
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MODEL_CONFIGS: Dict[str, str] = {
    'full': 'configs/mcfa/mcfa_vgg16_8xb32-30e_celeba-multisource.py',
    'cpu': 'configs/mcfa/mcfa_vgg16-w025-128px_1xb32-8e_celeba-multisource.py',
}
#: VGG-16's conv blocks (convs, channels), as in the backbone.
VGG16_BLOCKS = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))
TOLERANCE = 1e-4


# --------------------------------------------------------------------------
# The plain network
# --------------------------------------------------------------------------
def _scaled(channels: int, widen_factor: float) -> int:
    return max(1, int(round(channels * widen_factor)))


def plain_vgg(num_blocks: int, widen_factor: float,
              with_bn: bool) -> nn.Sequential:
    """VGG-16 conv blocks ``1..num_blocks`` (each with its max pool)."""
    layers, in_channels = [], 3
    for num_convs, channels in VGG16_BLOCKS[:num_blocks]:
        out_channels = _scaled(channels, widen_factor)
        for _ in range(num_convs):
            layers.append(nn.Conv2d(in_channels, out_channels, 3, padding=1))
            if with_bn:
                layers.append(nn.BatchNorm2d(out_channels))
            layers.append(nn.ReLU(inplace=True))
            in_channels = out_channels
        layers.append(nn.MaxPool2d(2, 2))
    return nn.Sequential(*layers)


class PlainBranch(nn.Module):
    """Two layers, one output layer per task, the dynamic-weight layer."""

    def __init__(self, in_channels: int, hidden: int, task_channels: dict,
                 num_attributes: int, conv: bool, with_weights: bool,
                 detach_weight_input: bool) -> None:
        super().__init__()
        self.detach_weight_input = detach_weight_input

        def layer(cin: int, cout: int) -> nn.Module:
            return nn.Conv2d(cin, cout, 1) if conv else nn.Linear(cin, cout)

        self.hidden1 = layer(in_channels, hidden)
        self.hidden2 = layer(hidden, hidden)
        self.outputs = nn.ModuleDict(
            {task: layer(hidden, c) for task, c in task_channels.items()})
        self.attr_weight = layer(in_channels, num_attributes) \
            if with_weights else None

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        hidden = F.relu(self.hidden2(F.relu(self.hidden1(x))))
        outs = {task: head(hidden) for task, head in self.outputs.items()}
        if self.attr_weight is not None:
            # adversarial mode: the weight layer must not train the trunk
            outs['attr_weight'] = self.attr_weight(
                x.detach() if self.detach_weight_input else x)
        return outs


class _GradientReversal(torch.autograd.Function):

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return -grad


class PlainMCFA(nn.Module):
    """MCFA written as plain PyTorch: no registries, no data samples.

    The same layers as the detector built from ``model_cfg`` (average-pooled
    pyramid, three VGG-16 slices, S's shared conv, M's and L's fc with the
    cascade concatenations, two layers and the task outputs per stage) and
    the same losses (face softmax with OHEM, masked squared errors, the
    dynamic-weight attribute loss) on plain target tensors.

    Args:
        model_cfg (dict): The detector's ``model`` config.
    """

    def __init__(self, model_cfg: dict) -> None:
        super().__init__()
        backbone, neck, head = (model_cfg['backbone'], model_cfg['neck'],
                                model_cfg['head'])
        if not neck.get('use_cascade', True):
            raise NotImplementedError('PlainMCFA mirrors the cascade only')
        preprocess = model_cfg['data_preprocessor']
        self.register_buffer('mean', torch.tensor(preprocess['mean']).view(
            1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(preprocess['std']).view(
            1, 3, 1, 1), persistent=False)
        self.bgr_to_rgb = preprocess.get('bgr_to_rgb', False)
        size = backbone.get('input_size', 224)
        widen = backbone.get('widen_factor', 1.0)
        with_bn = backbone.get('with_bn', False)
        self.input_size = size
        self.s_convs = plain_vgg(3, widen, with_bn)
        self.m_convs = plain_vgg(4, widen, with_bn)
        self.l_convs = plain_vgg(5, widen, with_bn)
        s_channels = _scaled(256, widen)
        self.s_shared = nn.Conv2d(_scaled(256, widen), s_channels, size // 32)
        fc = neck.get('fc_channels', 1024)
        map_cells = neck.get('map_size', 7)**2
        self.m_fc = nn.Linear(_scaled(512, widen) * map_cells, fc)
        self.l_fc = nn.Linear(_scaled(512, widen) * map_cells, fc)
        self.dropout = neck.get('dropout', 0.0)

        loss_attr = head.get('loss_attr', {})
        self.attr_mode = loss_attr.get('mode', 'adversarial')
        if self.attr_mode not in ('paper', 'equal', 'adversarial'):
            raise NotImplementedError(f'attribute mode {self.attr_mode}')
        self.entropy_weight = loss_attr.get('entropy_weight', 0.5)
        self.attr_loss_weight = loss_attr.get('loss_weight', 1.0)
        self.scale_by_d = loss_attr.get('scale_by_num_attributes', False)
        self.num_attributes = head.get('num_attributes', 40)
        self.tasks = tuple(head.get('tasks', ('face_cls', 'bbox', 'landmark',
                                              'attribute')))
        self.ohem_ratio = head.get('ohem_ratio')
        self.loss_weights = dict.fromkeys(
            ('face_cls', 'bbox', 'landmark', 'attribute'), 1.0)
        self.loss_weights.update(head.get('loss_weights') or {})
        self.stage_weights = tuple(
            head.get('stage_loss_weights', (1.0, 1.0, 1.0)))
        sizes = dict(face_cls=2, bbox=4, landmark=10,
                     attribute=self.num_attributes)
        task_channels = {t: sizes[t] for t in self.tasks}
        with_weights = ('attribute' in self.tasks
                        and self.attr_mode != 'equal')
        self.branches = nn.ModuleList([
            PlainBranch(cin, hidden, task_channels, self.num_attributes,
                        index == 0, with_weights,
                        self.attr_mode == 'adversarial')
            for index, (cin, hidden) in enumerate(
                zip(head['in_channels'], head['hidden_channels']))
        ])

    def normalize(self, images: Tensor) -> Tensor:
        """uint8 BGR ``(B, 3, H, W)`` -> normalised float (RGB)."""
        x = images.float()
        if self.bgr_to_rgb:
            x = x.flip(1)
        return (x - self.mean) / self.std

    def _fc(self, fc: nn.Linear, x: Tensor) -> Tensor:
        x = F.relu(fc(x.flatten(1)))
        if self.dropout > 0:
            x = F.dropout(x, self.dropout, self.training)
        return x

    def features(self, x: Tensor) -> List[Tensor]:
        """Shared features of S (a 1x1 map), M and L (vectors)."""
        half = F.avg_pool2d(x, 2)
        quarter = F.avg_pool2d(half, 2)
        s_feat = F.relu(self.s_shared(self.s_convs(quarter)))
        m_feat = torch.cat([self._fc(self.m_fc, self.m_convs(half)),
                            s_feat.flatten(1)], 1)
        l_feat = torch.cat([self._fc(self.l_fc, self.l_convs(x)), m_feat], 1)
        return [s_feat, m_feat, l_feat]

    def forward(self, x: Tensor) -> List[Dict[str, Tensor]]:
        """Raw outputs of every stage from a normalised batch."""
        return [branch(f) for branch, f in zip(self.branches,
                                               self.features(x))]

    def predict(self, images: Tensor) -> Dict[str, Tensor]:
        """Crop mode: L_Net's box, score, landmarks, attributes (pixels)."""
        feat = self.features(self.normalize(images))[-1]
        outs = self.branches[-1](feat)
        batch, side = len(feat), float(self.input_size)
        # tasks a variant does not train get the detector's neutral values
        box = outs['bbox'] if 'bbox' in outs else feat.new_zeros(batch, 4)
        points = outs['landmark'] if 'landmark' in outs else feat.new_full(
            (batch, 10), 0.5)
        scores = (outs['face_cls'].softmax(1)[:, 1]
                  if 'face_cls' in outs else feat.new_ones(batch))
        attributes = (outs['attribute'].sigmoid() if 'attribute' in outs
                      else feat.new_full((batch, self.num_attributes), 0.5))
        return dict(
            bboxes=(box + box.new_tensor([0., 0., 1., 1.])) * side,
            scores=scores,
            keypoints=points.view(batch, 5, 2) * side,
            attribute_scores=attributes)

    def loss(self, images: Tensor, targets: FaceTargets) -> Tensor:
        """The joint loss (Eq. 5) of a uint8 batch."""
        total = 0
        for outs, weight in zip(self(self.normalize(images)),
                                self.stage_weights):
            outs = {k: v.flatten(1) for k, v in outs.items()}
            total = total + weight * self._stage_loss(outs, targets)
        return total

    def _stage_loss(self, outs: Dict[str, Tensor],
                    targets: FaceTargets) -> Tensor:
        weights, loss = self.loss_weights, 0
        if 'face_cls' in outs:
            loss = loss + weights['face_cls'] * self._cls_loss(
                outs['face_cls'], targets.face_label)
        if 'bbox' in outs:
            loss = loss + weights['bbox'] * _squared_error(
                outs['bbox'], targets.bbox, targets.bbox_mask)
        if 'landmark' in outs:
            loss = loss + weights['landmark'] * _squared_error(
                outs['landmark'], targets.landmark, targets.landmark_mask)
        if 'attribute' in outs:
            loss = loss + weights['attribute'] * self._attr_loss(
                outs['attribute'], targets.attributes, outs.get('attr_weight'))
        return loss

    def _cls_loss(self, logits: Tensor, labels: Tensor) -> Tensor:
        valid = labels >= 0  # part faces (-1) are ignored
        per_sample = F.cross_entropy(
            logits[valid], labels[valid], reduction='none')
        if self.ohem_ratio is not None:
            keep = max(1, int(round(per_sample.numel() * self.ohem_ratio)))
            per_sample = per_sample.topk(keep).values
        return per_sample.mean()

    def _attr_loss(self, logits: Tensor, labels: Tensor,
                   weight_logits: Optional[Tensor]) -> Tensor:
        known = labels >= 0
        per_attr = F.binary_cross_entropy_with_logits(
            logits, labels.clamp(min=0).float(), reduction='none') * known
        num_rows = known.any(1).sum().clamp(min=1)
        if self.attr_mode == 'equal':
            weight_logits = torch.zeros_like(per_attr)
        if self.attr_mode == 'adversarial':
            mu = _masked_softmax(weight_logits, known)
            reversed_mu = _masked_softmax(
                _GradientReversal.apply(weight_logits), known)
            loss = (reversed_mu * per_attr).sum() / num_rows
            entropy = -(mu * mu.clamp(min=1e-12).log()).sum(1)
            bonus = -self.entropy_weight * entropy[known.any(1)].sum(
            ) / num_rows
            loss = loss + bonus - bonus.detach()
        else:
            loss = (_masked_softmax(weight_logits, known) *
                    per_attr).sum() / num_rows
        if self.scale_by_d:
            loss = loss * labels.shape[1]
        return self.attr_loss_weight * loss


def _masked_softmax(logits: Tensor, known: Tensor) -> Tensor:
    weights = logits.masked_fill(~known, float('-inf')).softmax(1)
    return torch.nan_to_num(weights, nan=0.0)


def _squared_error(pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    return (pred[mask] - target[mask]).pow(2).sum(1).mean()


def detector_module_pairs(plain: PlainMCFA, detector: nn.Module) -> list:
    """Corresponding (plain, detector) modules, parameters in equal order."""
    backbone, neck, head = detector.backbone, detector.neck, detector.head
    pairs = [(plain.s_convs, backbone.s_net), (plain.m_convs, backbone.m_net),
             (plain.l_convs, backbone.l_net),
             (plain.s_shared, backbone.s_shared), (plain.m_fc, neck.m_fc),
             (plain.l_fc, neck.l_fc)]
    return pairs + list(zip(plain.branches, head.branches))


def copy_detector_weights(plain: PlainMCFA, detector: nn.Module) -> None:
    """Load the detector's state into ``plain`` (by module, then by order).

    Raises:
        AssertionError: If parameter counts or any tensor shape differ.
    """
    count = sum(p.numel() for p in plain.parameters())
    det_count = sum(p.numel() for p in detector.parameters())
    assert count == det_count, f'params: plain {count} vs {det_count}'
    state = {}
    for plain_module, det_module in detector_module_pairs(plain, detector):
        prefix = next(k for k, m in plain.named_modules() if m is plain_module)
        plain_keys = list(plain_module.state_dict())
        det_values = list(det_module.state_dict().values())
        assert len(plain_keys) == len(det_values), prefix
        for key, value in zip(plain_keys, det_values):
            expected = plain_module.state_dict()[key].shape
            assert value.shape == expected, (prefix, key)
            state[f'{prefix}.{key}'] = value
    plain.load_state_dict(state, strict=True)


# --------------------------------------------------------------------------
# Building the two arms of one model
# --------------------------------------------------------------------------
def build_detector(config: str) -> tuple:
    """The detector and its config (weights: PyTorch's default init)."""
    cfg = Config.fromfile(
        config if osp.exists(config) else osp.join(REPO_ROOT, config))
    detector = MODELS.build(cfg.model)
    return detector, cfg


def plain_optimizer(model: nn.Module, optim_cfg: dict):
    """The config's optimizer as plain ``torch.optim`` (+ its clipping)."""
    kwargs = dict(optim_cfg['optimizer'])
    optimizer = getattr(torch.optim, kwargs.pop('type'))(model.parameters(),
                                                         **kwargs)
    clip = optim_cfg.get('clip_grad')
    return optimizer, dict(clip) if clip else None


def random_batch(batch: int, size: int, num_attributes: int,
                 seed: int = 0) -> tuple:
    """uint8 BGR images, training samples (some non- and part faces)."""
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (batch, 3, size, size),
                           generator=generator, dtype=torch.uint8)
    labels = [(1, 1, 0, -1)[i % 4] for i in range(batch)]
    samples = random_face_samples(batch, size, num_attributes, labels, seed)
    return images, samples


def check_equivalence(detector: nn.Module, plain: PlainMCFA,
                      batch: int = 2) -> dict:
    """Raw outputs, crop predictions and the loss must agree to 1e-4."""
    size, d = plain.input_size, plain.num_attributes
    images, samples = random_batch(max(batch, 4), size, d, seed=1)
    detector.eval()
    plain.eval()
    worst = 0.0
    with torch.no_grad():
        data = detector.data_preprocessor(
            dict(inputs=list(images), data_samples=samples), False)
        det_outs = detector._forward(data['inputs'])
        plain_outs = plain(plain.normalize(images))
        for det_stage, plain_stage in zip(det_outs, plain_outs):
            assert det_stage.keys() == plain_stage.keys()
            for key in det_stage:
                worst = max(worst, _assert_close(det_stage[key],
                                                 plain_stage[key], key))
        preds = detector.test_step(
            dict(inputs=list(images), data_samples=samples))
        plain_preds = plain.predict(images)
        for key, value in plain_preds.items():
            det_value = torch.cat([p.pred_instances[key] for p in preds])
            worst = max(worst, _assert_close(det_value, value, key))
    detector.train()
    plain.train()
    det_losses = detector.loss(
        detector.data_preprocessor(
            dict(inputs=list(images), data_samples=samples), True)['inputs'],
        samples)
    det_loss = detector.parse_losses(det_losses)[0]
    targets = build_face_targets(samples, d, images.device)
    plain_loss = plain.loss(images, targets)
    worst = max(worst, _assert_close(det_loss, plain_loss, 'loss'))
    return dict(max_abs_diff=worst, tolerance=TOLERANCE)


def _assert_close(a: Tensor, b: Tensor, name: str) -> float:
    a, b = a.detach().float(), b.detach().float()
    assert a.shape == b.shape, (name, a.shape, b.shape)
    torch.testing.assert_close(
        a, b, rtol=TOLERANCE, atol=TOLERANCE, msg=f'{name} differs')
    return float((a - b).abs().max())


# --------------------------------------------------------------------------
# Measuring one model
# --------------------------------------------------------------------------
def train_arms(detector, plain, cfg, batch: int,
               last_losses: Dict[str, float]) -> dict:
    """One training step per call: detector ``train_step`` and plain.

    Each call stores its loss in ``last_losses`` (to check it stays finite).
    """
    images, samples = random_batch(batch, plain.input_size,
                                   plain.num_attributes)
    targets = build_face_targets(samples, plain.num_attributes, 'cpu')
    data = dict(inputs=list(images), data_samples=samples)
    detector.train()
    plain.train()
    wrapper = build_optim_wrapper(detector, copy.deepcopy(cfg.optim_wrapper))
    optimizer, clip = plain_optimizer(plain, cfg.optim_wrapper)
    return dict(
        detector=_detector_train_step(detector, wrapper, data, last_losses,
                                      'detector'),
        plain=_plain_train_step(plain, optimizer, clip, images, targets,
                                last_losses, 'plain'))


def _detector_train_step(detector, wrapper, data, last_losses: dict,
                         name: str) -> Callable[[], None]:

    def step() -> None:
        loss = detector.train_step(data, wrapper)['loss']
        last_losses[name] = float(
            loss.detach() if torch.is_tensor(loss) else loss)

    return step


def _plain_train_step(net, optimizer, clip, images, targets,
                      last_losses: dict, name: str) -> Callable[[], None]:

    def step() -> None:
        loss = net.loss(images, targets)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(net.parameters(), **clip)
        optimizer.step()
        optimizer.zero_grad()
        # the detector's train_step syncs for its log too (.item())
        last_losses[name] = float(loss)

    return step


def predict_arms(detector, plain, batch: int,
                 channels_last: bool) -> tuple:
    """One crop-mode prediction per call: ``test_step`` and plain.

    With ``channels_last``, also a detector with ``test_cfg.channels_last``
    (its own option) and the plain network with NHWC weights and inputs.

    Returns:
        tuple: The arms and, if channels_last, the largest difference of
        the NHWC detector's predictions from the NCHW one's.
    """
    images, samples = random_batch(batch, plain.input_size,
                                   plain.num_attributes)
    data = dict(inputs=list(images), data_samples=samples)
    detector.eval()
    plain.eval()
    # test_step as MMEngine's loops and inference_faces call it
    arms = dict(
        detector=lambda: detector.test_step(data),
        plain=_plain_predict(plain, images))
    if not channels_last:
        return arms, None
    det_nhwc = copy.deepcopy(detector)
    det_nhwc.test_cfg['channels_last'] = True
    plain_nhwc = copy.deepcopy(plain).to(memory_format=torch.channels_last)
    arms['detector_channels_last'] = lambda: det_nhwc.test_step(data)
    arms['plain_channels_last'] = _plain_predict(
        plain_nhwc, images.contiguous(memory_format=torch.channels_last))
    diff = max(
        float((a.pred_instances[k] - b.pred_instances[k]).abs().max())
        for a, b in zip(detector.test_step(data), det_nhwc.test_step(data))
        for k in ('bboxes', 'scores', 'keypoints', 'attribute_scores'))
    return arms, diff


def _plain_predict(net, images) -> Callable[[], dict]:

    def predict() -> dict:
        with torch.inference_mode():
            return net.predict(images)

    return predict


def summarise(times: Dict[str, List[float]], batch: int, flops: float,
              matmul_gflops: float) -> dict:
    """Throughput, GFLOP/s and ratios of each arm from its timings."""
    report = {}
    for name, seconds in times.items():
        if name == 'matmul':
            continue
        per_s = batch / median(seconds)
        gflops = flops * per_s / 1e9
        report[name] = dict(
            samples_per_s=round(per_s, 3),
            seconds_per_batch=[round(s, 5) for s in seconds],
            gflops=round(gflops, 2),
            gflops_ratio=round(gflops / matmul_gflops, 4))
    for name in list(report):
        if name.startswith('detector'):
            plain = name.replace('detector', 'plain')
            report[name]['framework_overhead_ratio'] = round(
                report[name]['samples_per_s'] /
                report[plain]['samples_per_s'], 4)
    return report


def bench_model(name: str, args) -> dict:
    """All measurements of one model (see the module docstring)."""
    torch.manual_seed(0)
    detector, cfg = build_detector(MODEL_CONFIGS.get(name, name))
    plain = PlainMCFA(cfg.model.to_dict())
    copy_detector_weights(plain, detector)
    check = check_equivalence(detector, plain)
    copy_detector_weights(plain, detector)  # same BN statistics again
    size = detector.input_size
    face = torch.zeros(1, 3, size, size)
    metas = [dict(img_shape=(size, size))]
    train_macs = count_macs(detector, face, mode='tensor')['macs']
    predict_macs = count_macs(
        detector, face,
        forward=lambda x: detector.head.predict(detector.extract_feat(x),
                                                metas))['macs']
    plain_macs = count_macs(plain, face, forward=lambda x: plain.predict(
        x.to(torch.uint8)))['macs']
    assert plain_macs == predict_macs, (plain_macs, predict_macs)
    report = dict(
        config=MODEL_CONFIGS.get(name, name),
        input_size=size,
        params=sum(p.numel() for p in detector.parameters()),
        plain_params=sum(p.numel() for p in plain.parameters()),
        gmacs_per_face_predict=round(predict_macs / 1e9, 4),
        gmacs_per_sample_train_forward=round(train_macs / 1e9, 4),
        equivalence=check,
        train={},
        predict={})
    matmul = matmul_arm(args.matmul_size)
    matmul_flops = 2 * args.matmul_size**3
    for batch in args.batch_sizes:
        for mode in args.modes:
            last_losses: Dict[str, float] = {}
            nhwc_diff = None
            if mode == 'train':
                arms = train_arms(detector, plain, cfg, batch, last_losses)
                flops = 3 * 2 * train_macs
            else:
                arms, nhwc_diff = predict_arms(detector, plain, batch,
                                               args.channels_last)
                flops = 2 * predict_macs
            arms['matmul'] = matmul
            iters = {k: args.matmul_iters if k == 'matmul' else args.iters
                     for k in arms}
            times = interleaved(arms, iters, args.repeats, args.warmup)
            matmul_gflops = matmul_flops / median(times['matmul']) / 1e9
            entry = summarise(times, batch, flops, matmul_gflops)
            entry['matmul_gflops'] = round(matmul_gflops, 2)
            if mode == 'train':
                entry['last_losses'] = {
                    k: round(v, 4) for k, v in last_losses.items()}
            if nhwc_diff is not None:
                entry['channels_last_max_abs_diff'] = nhwc_diff
            report[mode][f'batch_{batch}'] = entry
            del arms
    if args.profile and name == args.models[0]:
        report['profile'] = profile_predict(detector, plain,
                                            args.profile_batch_size)
        if args.channels_last:
            nhwc = copy.deepcopy(detector)
            nhwc.test_cfg['channels_last'] = True
            report['profile_channels_last'] = profile_predict(
                nhwc, plain, args.profile_batch_size)
    return report


# --------------------------------------------------------------------------
# Where the time of a crop-mode prediction goes
# --------------------------------------------------------------------------
@contextmanager
def _phase_timers(detector) -> Iterator[Dict[str, float]]:
    """Time the steps of ``test_step`` by wrapping them on the instance."""
    totals: Dict[str, float] = {}
    # head.predict / decode, or their batched forms where the head has them
    targets = [('preprocess', detector.data_preprocessor, 'forward'),
               ('extract_feat', detector, 'extract_feat'),
               ('head_predict', detector.head, 'predict'),
               ('head_predict_batch', detector.head, 'predict_batch'),
               ('decode', detector.head, 'decode'),
               ('decode_batch', detector.head, 'decode_batch'),
               ('add_pred_to_datasample', detector, 'add_pred_to_datasample')]
    targets = [t for t in targets if hasattr(t[1], t[2])]
    for label, owner, attr in targets:
        original = getattr(owner, attr)

        def wrapper(*a, _original=original, _label=label, **kw):
            start = time.perf_counter()
            out = _original(*a, **kw)
            totals[_label] = totals.get(_label, 0.0) + (time.perf_counter() -
                                                        start)
            return out

        setattr(owner, attr, wrapper)
    try:
        yield totals
    finally:
        for _, owner, attr in targets:
            delattr(owner, attr)


def profile_predict(detector, plain, batch: int, top: int = 12) -> dict:
    """Where one ``test_step`` batch spends its time.

    One timed pass with the phases wrapped (``rescale_and_rest`` is what is
    left: mapping to the original image, the loop over samples), then one
    pass under ``torch.profiler`` for the top aten ops (kept apart: the
    profiler's start-up would swamp the phase timings).
    """
    images, samples = random_batch(batch, plain.input_size,
                                   plain.num_attributes)
    data = dict(inputs=list(images), data_samples=samples)
    detector.eval()
    detector.test_step(data)  # warm up
    with _phase_timers(detector) as phases:
        start = time.perf_counter()
        preds = detector.test_step(data)
        total = time.perf_counter() - start
    top_level = ('preprocess', 'extract_feat', 'head_predict',
                 'head_predict_batch', 'add_pred_to_datasample')
    phases_ms = {k: round(v * 1e3, 3) for k, v in phases.items()}
    phases_ms['rescale_and_rest'] = round(
        (total - sum(phases.get(k, 0.0) for k in top_level)) * 1e3, 3)
    with torch.profiler.profile(
            activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        detector.test_step(data)
    ops = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total,
                 reverse=True)
    self_total = sum(e.self_cpu_time_total for e in ops) or 1.0
    conv_like = sum(e.self_cpu_time_total for e in ops
                    if any(k in e.key for k in ('conv', 'addmm', 'mm',
                                                'linear')))
    return dict(
        batch_size=batch,
        test_step_ms=round(total * 1e3, 3),
        phases_ms=phases_ms,
        # an autograd graph recorded during inference costs time: e.g.
        # max pooling then also computes the indices for its backward
        outputs_require_grad=preds[0].pred_instances.scores.requires_grad,
        conv_and_matmul_share_of_op_time=round(conv_like / self_total, 4),
        top_ops=[
            dict(name=e.key, calls=e.count,
                 self_cpu_ms=round(e.self_cpu_time_total / 1e3, 3),
                 share=round(e.self_cpu_time_total / self_total, 4))
            for e in ops[:top]
        ])


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--models', nargs='+', default=['full', 'cpu'],
                        help="'full', 'cpu' or config paths")
    parser.add_argument('--batch-sizes', type=int, nargs='+',
                        default=[1, 8, 32])
    parser.add_argument('--modes', nargs='+', default=['train', 'predict'],
                        choices=['train', 'predict'])
    parser.add_argument('--iters', type=int, default=3,
                        help='calls per timed block')
    parser.add_argument('--warmup', type=int, default=1,
                        help='untimed calls of each arm first')
    parser.add_argument('--repeats', type=int, default=5,
                        help='timed blocks per arm (median reported)')
    parser.add_argument('--matmul-size', type=int, default=2048)
    parser.add_argument('--matmul-iters', type=int, default=5)
    parser.add_argument('--channels-last', action='store_true',
                        help='also time crop-mode prediction with NHWC '
                        "weights (the detector's test_cfg.channels_last)")
    parser.add_argument('--profile', action='store_true',
                        help='profile a predict batch of the first model')
    parser.add_argument('--profile-batch-size', type=int, default=8)
    parser.add_argument('--threads', type=int, default=None,
                        help='torch threads (default: torch decides)')
    parser.add_argument('--out', default=None, help='also write JSON here')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    setup_threads(args.threads)
    register_all_modules(init_default_scope=True)
    report = dict(machine=machine_info(), args=vars(args), models={})
    for name in args.models:
        report['models'][name] = bench_model(name, args)
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        with open(args.out, 'w') as file:
            file.write(text + '\n')
    return report


if __name__ == '__main__':
    main()
