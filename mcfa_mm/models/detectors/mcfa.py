"""The MCFA detector: cascade of S_Net, M_Net, L_Net with a multi-task head."""
import warnings
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
from mmcv.cnn import fuse_conv_bn
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.models.detectors import BaseDetector
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mcfa_mm.utils.pixel_mapping import to_original_pixels
from .cascade import CASCADE_DEFAULTS, CascadeFaceFinder, cascade_settings
from .flip_test import flip_averaged
from ..heads.mcfa_head import split_instances

PREDICT_MODES = ('crop', 'cascade')
#: The keys of ``test_cfg`` besides the cascade's own (``test_cfg.cascade``).
TEST_CFG_KEYS = ('mode', 'flip', 'precision', 'channels_last',
                 'max_image_pixels', 'cascade')
#: ``test_cfg.precision`` values and the autocast dtype of each (None: off).
PRECISIONS = {'fp32': None, 'bf16': torch.bfloat16}


@MODELS.register_module()
class MCFA(BaseDetector):
    """Multi-task cascaded CNN for facial attributes (Zhuang et al., 2018).

    Composes :class:`MCFAPyramidVGG` (backbone), :class:`MCFACascadeNeck`
    (neck) and :class:`MCFAHead` (head). Training takes face crops (and
    mined non-face / part-face crops) at the backbone's ``input_size``.

    Test time has two modes, chosen by ``test_cfg.mode``:

    - ``'crop'``: every input is one face crop; L_Net's box, score,
      landmarks and attributes are returned, mapped back to the original
      image (the CelebA / LFWA attribute benchmarks).
    - ``'cascade'``: whole images; S_Net slides over a pyramid, M_Net and
      L_Net refine the survivors (paper, II-A; see
      :class:`~mcfa_mm.models.detectors.CascadeFaceFinder`).

    Args:
        backbone (dict): Backbone config.
        neck (dict): Neck config.
        head (dict): Head config; its ``in_channels`` come from the neck's
            ``out_channels`` (a config may still state them if they agree).
        train_cfg (dict, optional): Unused; kept for mmdet compatibility.
        test_cfg (dict, optional): ``mode``; ``cascade``, the cascade's
            settings (:func:`~.cascade.cascade_settings`; stored complete,
            defaults filled in); ``channels_last=True`` runs prediction
            with NHWC weights (as the ``channels_last`` argument, for a
            model built without it);
            ``precision='bf16'`` predicts under CPU bfloat16 autocast
            (``'fp32'``, the default, without); ``flip=True`` averages
            L_Net's outputs over each crop (crop mode) or window (cascade
            mode) and its mirror image (:mod:`.flip_test`; twice L_Net's
            work).
        data_preprocessor (dict, optional): e.g. ``DetDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
        channels_last (bool): Keep the weights, and feed the backbone the
            batches, in NHWC (``torch.channels_last``), oneDNN's native
            layout on CPUs: every conv, pooling and BatchNorm then runs
            NHWC (NCHW max pooling is especially slow), in training and at
            test time. Values and checkpoints are the same as NCHW's up to
            float rounding. Done in the model rather than the data
            preprocessor so that any preprocessor (and any caller of
            :meth:`extract_feat`) gets it.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 head: ConfigType,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 channels_last: bool = False) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.head = MODELS.build(with_neck_channels(head, self.neck))
        self.train_cfg = train_cfg
        self.test_cfg = nested_test_cfg(test_cfg)
        self.channels_last = channels_last
        if channels_last:
            self._to_channels_last()

    @property
    def input_size(self) -> int:
        """Side of L_Net's input crop."""
        return self.backbone.input_size

    def extract_feat(self,
                     batch_inputs: Tensor,
                     num_stages: Optional[int] = None) -> Tuple[Tensor, ...]:
        """Shared features of the first ``num_stages`` sub-networks."""
        if self.channels_last:
            batch_inputs = batch_inputs.contiguous(
                memory_format=torch.channels_last)
        return self.neck(self.backbone(batch_inputs, num_stages))

    def _forward(self,
                 batch_inputs: Tensor,
                 batch_data_samples: OptConfigType = None
                 ) -> List[Dict[str, Tensor]]:
        """Raw outputs of every stage (see :meth:`MCFAHead.forward`)."""
        return self.head(self.extract_feat(batch_inputs))

    def loss(self, batch_inputs: Tensor,
             batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Joint multi-task loss of the three stages (paper, Eq. 5)."""
        return self.head.loss(self.extract_feat(batch_inputs),
                              batch_data_samples)

    # Gradients are never needed here, and MMEngine's ``test_step`` leaves
    # them on: the recorded graph keeps every activation alive until the
    # results are dropped (~20 % slower for the CPU-sized model). no_grad
    # rather than inference_mode (as fast here): the results stay ordinary
    # tensors that metrics and visualisers may still modify in place.
    @torch.no_grad()
    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Predict faces, landmarks and attributes (without gradients).

        Args:
            batch_inputs (Tensor): Preprocessed images ``(B, 3, H, W)``.
            batch_data_samples (list[DetDataSample]): Their data samples.
            rescale (bool): Map results to the original image's pixels.

        Returns:
            list[DetDataSample]: ``pred_instances`` with ``bboxes``,
            ``scores``, ``labels``, ``keypoints`` and ``attribute_scores``.
        """
        if self.test_cfg.get('channels_last', False):
            self._to_channels_last()
        with torch.autocast(**self._predict_autocast()):
            return self._predict(batch_inputs, batch_data_samples, rescale)

    def _predict_autocast(self) -> dict:
        """``torch.autocast`` arguments of ``test_cfg.precision``."""
        precision = self._precision()
        dtype = PRECISIONS[precision]
        weights = next(self.backbone.parameters())
        if weights.dtype != torch.float32 and dtype != weights.dtype:
            raise ValueError(
                f'the weights were cast to {weights.dtype} '
                f'(cast_to_precision) but test_cfg.precision is '
                f'{precision!r}: load the model again to predict in '
                'another precision')
        return dict(device_type=weights.device.type, dtype=dtype,
                    enabled=dtype is not None)

    def _precision(self) -> str:
        """``test_cfg.precision``, checked."""
        precision = self.test_cfg.get('precision', 'fp32')
        if precision not in PRECISIONS:
            raise ValueError(f'test_cfg.precision must be one of '
                             f'{tuple(PRECISIONS)}, got {precision!r}')
        return precision

    def _predict(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                 rescale: bool) -> SampleList:
        """:meth:`predict` in the precision chosen by the caller."""
        metas = [sample.metainfo for sample in batch_data_samples]
        if self.test_cfg['mode'] == 'cascade':
            results = CascadeFaceFinder(self, self.test_cfg).predict(
                batch_inputs, metas)
            if rescale:
                results = [
                    to_original_image(result, meta)
                    for result, meta in zip(results, metas)
                ]
        else:
            # one face per input: rescale the whole batch at once, then
            # split it into instances
            fields = self.head.decode_batch(
                self._crop_outputs(batch_inputs, metas), metas)
            if rescale:
                fields = batch_to_original_image(fields, metas)
            results = split_instances(fields)
        return self.add_pred_to_datasample(batch_data_samples, results)

    def crop_outputs(self,
                     crops: Tensor,
                     num_stages: Optional[int] = None,
                     flip: Optional[bool] = None) -> Dict[str, Tensor]:
        """Flattened outputs ``(B, C)`` of the deepest of the first
        ``num_stages`` sub-networks on preprocessed crops that fill their
        tensor, averaged with the crops' mirror images when ``flip``.

        Args:
            crops (Tensor): ``(B, 3, S, S)`` preprocessed crops.
            num_stages (int, optional): Stages to run; all by default.
            flip (bool, optional): Flip test (:mod:`.flip_test`); defaults
                to ``test_cfg.flip``.

        Returns:
            dict[str, Tensor]: The stage's outputs, row ``i`` for crop ``i``.
        """

        def forward(inputs: Tensor) -> Dict[str, Tensor]:
            return self.head.last_stage_outputs(
                self.extract_feat(inputs, num_stages))

        if flip is None:
            flip = self.test_cfg.get('flip', False)
        return flip_averaged(forward, crops) if flip else forward(crops)

    def _crop_outputs(self, batch_inputs: Tensor,
                      metas: List[dict]) -> Dict[str, Tensor]:
        """:meth:`crop_outputs` of face crops, after checking that the flip
        test, when on, sees unpadded crops."""
        if not self.test_cfg.get('flip', False):
            return self.crop_outputs(batch_inputs)
        padded = [
            meta['img_shape'][:2] != tuple(batch_inputs.shape[-2:])
            for meta in metas
        ]
        if any(padded):
            raise ValueError(
                'test_cfg.flip needs crops that fill the batch tensor '
                f'{tuple(batch_inputs.shape[-2:])}; got img_shape '
                f"{metas[padded.index(True)]['img_shape'][:2]} (resize every "
                'crop to the input size, as the crop-mode pipelines do)')
        return self.crop_outputs(batch_inputs)

    def _to_channels_last(self) -> None:
        """Store the conv weights NHWC (the ``channels_last`` argument or
        ``test_cfg.channels_last``).

        With NHWC weights every conv, pooling and BatchNorm of the backbone
        runs NHWC (oneDNN's native layout). Results differ from NCHW only by
        float rounding (~1e-7 relative). Converts once, in place: the values
        (and checkpoints) are unchanged, and later steps also run NHWC.
        """
        self.channels_last = True
        weight = next(p for p in self.backbone.parameters() if p.dim() == 4)
        if not weight.is_contiguous(memory_format=torch.channels_last):
            self.to(memory_format=torch.channels_last)

    def fuse_conv_bn(self) -> 'MCFA':
        """Fold every BatchNorm into the convolution before it, in place.

        For a model that only predicts (as MMDetection's
        ``--fuse-conv-bn``): one op less per conv at inference, outputs
        equal to ~1e-6 in fp32; a fused model can no longer update its
        BatchNorm statistics, so never fuse a model that will train.

        Returns:
            MCFA: The model itself.
        """
        fuse_conv_bn(self)
        if self.channels_last:
            # the folded weights are new tensors, contiguous NCHW
            self.to(memory_format=torch.channels_last)
        return self

    def cast_to_precision(self) -> 'MCFA':
        """Store the network's weights in ``test_cfg.precision``'s dtype,
        in place (nothing to do for ``'fp32'``).

        Under autocast every convolution and linear layer casts its fp32
        weight to bf16 at every call, and the cascade calls S_Net once per
        pyramid level: the casts cost 6 % of its time (docs/benchmarks.md).
        Cast once, the outputs are the same bit for bit (autocast rounds
        the weights the same way). For a model that only predicts, in this
        precision: training needs fp32 master weights, and predicting in
        fp32 afterwards is refused. The data preprocessor stays fp32.

        Returns:
            MCFA: The model itself.
        """
        dtype = PRECISIONS[self._precision()]
        if dtype is not None:
            for module in (self.backbone, self.neck, self.head):
                # keeps each tensor's memory format (channels-last)
                module.to(dtype)
        return self

    def dynamic_weights(self) -> Dict[str, Tensor]:
        """Last training step's mean dynamic weights of each stage.

        Returns:
            dict[str, Tensor]: ``{stage: (d,)}``; empty before training.
        """
        return {
            name: loss.last_weights
            for name, loss in zip(self.head.stage_names, self.head.attr_losses)
            if loss.last_weights.numel()
        }


def with_neck_channels(head: ConfigType, neck) -> dict:
    """The head config with ``in_channels`` set to the neck's widths.

    Args:
        head (dict): The head config.
        neck (nn.Module): The built neck, with ``out_channels``.

    Returns:
        dict: A copy of ``head`` with ``in_channels``.

    Raises:
        ValueError: If the config states other ``in_channels``.
    """
    head = dict(head)
    widths = tuple(neck.out_channels)
    given = head.get('in_channels')
    if given is not None and tuple(given) != widths:
        raise ValueError(f'head.in_channels={tuple(given)} but the neck '
                         f'gives {widths}: leave head.in_channels out, the '
                         'detector takes the neck\'s out_channels')
    head['in_channels'] = widths
    return head


def nested_test_cfg(test_cfg: OptConfigType) -> dict:
    """A complete, checked ``test_cfg``: ``mode`` ('crop' by default) and
    the cascade's settings under ``cascade`` with their defaults filled in,
    the way two-stage detectors nest ``rpn`` / ``rcnn``.

    Cascade keys at the top level (this project's layout until 2026-12-06)
    are moved into ``cascade`` with a warning rather than ignored.

    Args:
        test_cfg (dict, optional): A config's ``model.test_cfg``.

    Returns:
        dict: The settings the detector runs with.

    Raises:
        ValueError: On an unknown key or mode.
    """
    test_cfg = dict(test_cfg or {})
    cascade = dict(test_cfg.pop('cascade', None) or {})
    flat = sorted(set(test_cfg) & set(CASCADE_DEFAULTS))
    if flat:
        warnings.warn(
            f'test_cfg keys {flat} belong to the cascade: write them as '
            f'test_cfg.cascade (moved there for now)', FutureWarning)
        cascade.update({key: test_cfg.pop(key) for key in flat})
    unknown = sorted(set(test_cfg) - set(TEST_CFG_KEYS))
    if unknown:
        raise ValueError(f'unknown test_cfg keys {unknown}; MCFA knows '
                         f'{list(TEST_CFG_KEYS)} and, under cascade, '
                         f'{sorted(CASCADE_DEFAULTS)}')
    test_cfg.setdefault('mode', 'crop')
    if test_cfg['mode'] not in PREDICT_MODES:
        raise ValueError(f'test_cfg.mode must be one of {PREDICT_MODES}, '
                         f"got {test_cfg['mode']!r}")
    test_cfg['cascade'] = cascade_settings(cascade)
    return test_cfg


def to_original_image(instances: InstanceData,
                      meta: dict) -> InstanceData:
    """Map boxes and keypoints from network input pixels to the original.

    Undoes ``Resize`` (``scale_factor``) and any crop (``crop_offset``).

    Args:
        instances (InstanceData): Predictions in input pixels.
        meta (dict): Image meta with ``scale_factor`` and ``crop_offset``.

    Returns:
        InstanceData: The same instances in original-image pixels.
    """
    for key in ('bboxes', 'keypoints'):
        if key in instances:
            instances[key] = to_original_pixels(
                instances[key], meta.get('scale_factor', (1., 1.)),
                meta.get('crop_offset', (0., 0.)))
    return instances


def batch_to_original_image(fields: Dict[str, Tensor],
                            metas: List[dict]) -> Dict[str, Tensor]:
    """:func:`to_original_image` for a batch with one face per image.

    Args:
        fields (dict[str, Tensor]): ``bboxes`` (B, 4) and optionally
            ``keypoints`` (B, 5, 2) in input pixels (other fields pass).
        metas (list[dict]): B image metas with ``scale_factor`` and
            ``crop_offset``.

    Returns:
        dict[str, Tensor]: The fields in original-image pixels; the same
        numbers as :func:`to_original_image` row by row.
    """
    scale = np.array([meta.get('scale_factor', (1., 1.))[:2]
                      for meta in metas], np.float32).reshape(-1, 2)
    offset = np.array([meta.get('crop_offset', (0., 0.))[:2]
                       for meta in metas], np.float32).reshape(-1, 2)
    fields = dict(fields)
    fields['bboxes'] = to_original_pixels(fields['bboxes'], scale, offset)
    if 'keypoints' in fields:
        fields['keypoints'] = to_original_pixels(
            fields['keypoints'], scale[:, None], offset[:, None])
    return fields
