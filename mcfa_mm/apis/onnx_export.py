"""Export a trained MCFA to ONNX: the crop-mode network and S_Net's map.

Two graphs, each with the data preprocessor's normalisation built in, so
that they take raw BGR pixels (float, 0-255) like the images OpenCV reads:

- ``mcfa_crop.onnx``: a face crop resized to the network input
  ``(B, 3, S, S)`` -> ``score`` (B,), ``bbox`` (B, 4) and ``keypoints``
  (B, 5, 2) as fractions of the crop's width / height (``x1, y1, x2, y2``;
  ``x, y``), ``attributes`` (B, d) probabilities. This is the model's
  crop-mode prediction (``test_cfg.mode='crop'``, with its ``flip``
  test when the config sets it) divided by the crop side.
- ``mcfa_s_net.onnx``: S_Net slid over one pyramid level ``(B, 3, H, W)``
  (any H, W >= S / 4) -> ``face_prob`` (B, h, w) and ``bbox`` (B, 4, h, w),
  the cascade's first stage. Cell ``(y, x)`` scores the window of side
  S / 4 at ``(8 x, 8 y)``; its box is ``window + (bbox + (0, 0, 1, 1)) *
  side``.

Both have a dynamic batch axis (and S_Net dynamic height and width).
"""
import os
import os.path as osp
import warnings
from typing import Dict, Tuple

import torch
import torch.nn as nn
from mmengine.fileio import dump
from torch import Tensor

from ..datasets.metainfo import NUM_LANDMARKS

#: File names :func:`export_onnx` writes.
CROP_FILE, S_NET_FILE, META_FILE = ('mcfa_crop.onnx', 'mcfa_s_net.onnx',
                                    'mcfa_onnx.json')


class _RawPixels(nn.Module):
    """Normalise raw BGR pixels as the model's ``DetDataPreprocessor``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        preprocessor = model.data_preprocessor
        self.swap_channels = bool(
            getattr(preprocessor, '_channel_conversion', False))
        if getattr(preprocessor, '_enable_normalize', False):
            self.register_buffer('mean', preprocessor.mean.clone())
            self.register_buffer('std', preprocessor.std.clone())
        else:
            self.register_buffer('mean', torch.zeros(3, 1, 1))
            self.register_buffer('std', torch.ones(3, 1, 1))

    def normalize(self, pixels: Tensor) -> Tensor:
        """``(B, 3, H, W)`` BGR 0-255 -> the network's input."""
        if self.swap_channels:
            pixels = pixels.flip(1)
        return (pixels - self.mean) / self.std


class CropFaceNet(_RawPixels):
    """MCFA's crop-mode prediction on raw face crops, as one graph.

    Args:
        model (MCFA): A trained model.
    """

    def forward(self, pixels: Tensor) -> Tuple[Tensor, ...]:
        """Score, box, landmarks and attributes of each crop.

        Args:
            pixels (Tensor): ``(B, 3, S, S)`` BGR crops, 0-255.

        Returns:
            tuple[Tensor]: ``score`` (B,), ``bbox`` (B, 4), ``keypoints``
            (B, 5, 2) in fractions of the crop side, ``attributes`` (B, d).
        """
        outs = self.model.crop_outputs(self.normalize(pixels))
        # neutral values for tasks a variant does not train, as
        # MCFAHead.decode_batch gives them
        zero = next(iter(outs.values()))[:, :1] * 0
        score = (outs['face_cls'].softmax(1)[:, 1]
                 if 'face_cls' in outs else zero[:, 0] + 1)
        offsets = outs.get('bbox', zero.expand(-1, 4))
        bbox = offsets + offsets.new_tensor([0., 0., 1., 1.])
        points = outs.get('landmark', zero.expand(-1, 2 * NUM_LANDMARKS) +
                          0.5)
        attributes = (
            outs['attribute'].sigmoid() if 'attribute' in outs else
            zero.expand(-1, self.model.head.num_attributes) + 0.5)
        return score, bbox, points.reshape(-1, NUM_LANDMARKS, 2), attributes


class SNetFaceMap(_RawPixels):
    """S_Net slid over a whole image: the cascade's first stage.

    Args:
        model (MCFA): A trained model with the ``face_cls`` task.
    """

    def forward(self, pixels: Tensor) -> Tuple[Tensor, Tensor]:
        """Face probability and box offsets of every window.

        Args:
            pixels (Tensor): ``(B, 3, H, W)`` BGR images, 0-255.

        Returns:
            tuple[Tensor]: ``face_prob`` (B, h, w) and ``bbox`` (B, 4, h,
            w).
        """
        outs = self.model.head.branches[0](
            self.model.backbone.slide_s_net(self.normalize(pixels)))
        prob = outs['face_cls'].softmax(1)[:, 1]
        return prob, outs.get('bbox', prob[:, None].expand(-1, 4, -1, -1) *
                              0)


def export_onnx(model: nn.Module, out_dir: str,
                opset_version: int = 17) -> Dict[str, str]:
    """Write :class:`CropFaceNet` and :class:`SNetFaceMap` as ONNX.

    Uses PyTorch's TorchScript-based exporter (``dynamo=False``): it needs
    no package beyond ``onnx`` and handles the dynamic axes directly.
    PyTorch calls it deprecated; the torch.export-based exporter would add
    ``onnxscript`` to the requirements.

    Args:
        model (MCFA): A trained model (any ``test_cfg.mode``).
        out_dir (str): Folder to write ``mcfa_crop.onnx``,
            ``mcfa_s_net.onnx`` and ``mcfa_onnx.json`` (input size,
            window, stride, attribute names) into.
        opset_version (int): ONNX opset.

    Returns:
        dict[str, str]: Paths, keyed ``crop``, ``s_net`` and ``meta``.

    Raises:
        ValueError: The model has no ``face_cls`` task (no S_Net map), or
            its weights are not fp32 (``init_face_model`` casts them for
            bf16 prediction; load with ``predict_only=False``).
    """
    if 'face_cls' not in model.head.tasks:
        raise ValueError("S_Net's map needs a model with the 'face_cls' "
                         f'task; this one has {model.head.tasks}')
    dtype = next(model.backbone.parameters()).dtype
    if dtype != torch.float32:
        raise ValueError(
            f'the ONNX graphs are fp32 and this model\'s weights are {dtype} '
            '(cast for prediction): load it with init_face_model(..., '
            'predict_only=False), optionally .fuse_conv_bn()')
    os.makedirs(out_dir, exist_ok=True)
    model = model.eval()
    size = model.input_size
    device = next(model.parameters()).device
    paths = dict(crop=osp.join(out_dir, CROP_FILE),
                 s_net=osp.join(out_dir, S_NET_FILE),
                 meta=osp.join(out_dir, META_FILE))
    batch = {0: 'batch'}
    crop_axes = dict.fromkeys(
        ('crop', 'score', 'bbox', 'keypoints', 'attributes'), batch)
    map_axes = dict(
        image={0: 'batch', 2: 'height', 3: 'width'},
        face_prob={0: 'batch', 1: 'map_height', 2: 'map_width'},
        bbox={0: 'batch', 2: 'map_height', 3: 'map_width'})
    exports = ((CropFaceNet(model), (2, 3, size, size), paths['crop'],
                crop_axes),
               (SNetFaceMap(model), (2, 3, size, size + 32), paths['s_net'],
                map_axes))
    for wrapper, shape, path, axes in exports:
        names = list(axes)
        # eval() on the wrapper: the exporter restores the wrapper's mode
        # afterwards, which would put a fresh (training) wrapper's model
        # into training mode
        wrapper = wrapper.to(device).eval()
        with torch.no_grad(), warnings.catch_warnings():
            # PyTorch marks this exporter deprecated in favour of the
            # torch.export-based one, which needs onnxscript as well
            warnings.filterwarnings('ignore', category=DeprecationWarning,
                                    module=r'torch\.onnx')
            torch.onnx.export(
                wrapper, (torch.rand(shape, device=device) * 255, ),
                path, input_names=names[:1], output_names=names[1:],
                dynamic_axes=axes, opset_version=opset_version,
                dynamo=False)
    dump(dict(input_size=size, s_window=size // 4, s_stride=8,
              attribute_names=list(
                  (getattr(model, 'dataset_meta', None)
                   or {}).get('attribute_names', [])),
              test_cfg={k: v for k, v in model.test_cfg.items()
                        if k != 'mode'}),
         paths['meta'], indent=2)
    return paths
