"""Coarse-to-fine cascade over whole images (paper, II-A: threshold control).

S_Net slides over an image pyramid and proposes faces; M_Net and L_Net
re-score and calibrate the survivors; L_Net's box, landmarks and attributes
are the output. Each stage is one batched forward pass over its crops.

Windows that leave the image are padded with black *raw* pixels, as
``MineFaceSample`` and ``CropFace`` pad the training and test crops (after
normalisation black is ``-mean / std``, about -2, not 0), so a face at the
edge of a photo looks the same to M_Net and L_Net as in training.
"""
import math
from typing import Dict, List, Optional, Tuple

import torch
from mmcv.ops import nms, roi_align
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_xyxy_to_cxcywh

from ...datasets.metainfo import NUM_LANDMARKS

#: The cascade's settings, ``test_cfg.cascade``: MTCNN's thresholds and
#: NMS IoUs; the smallest face searched is 40 px, or 40 % of the photo's
#: shorter side on photos under 100 px (chosen on the wild and LFWA val
#: splits together, docs/benchmarks.md: LFWA val AP50 91.4 -> 98.1 with
#: wild val unchanged at 91.7). The one source of these defaults: a config
#: sets only what it changes. See :class:`CascadeFaceFinder` for what each
#: key means.
CASCADE_DEFAULTS = dict(
    min_face_size=40,
    min_face_fraction=0.4,
    max_pyramid_side=1280,
    scale_factor=0.709,
    thresholds=(0.6, 0.7, 0.7),
    level_nms_threshold=0.5,
    nms_thresholds=(0.5, 0.7, 0.3),
    max_per_img=100,
    max_proposals=2000,
    crop_sampling_ratio=1,
    crop_batch_size=256,
    return_stage_boxes=False)


def cascade_settings(cascade_cfg: Optional[dict] = None) -> dict:
    """Complete cascade settings: :data:`CASCADE_DEFAULTS` updated with a
    config's ``test_cfg.cascade``.

    Args:
        cascade_cfg (dict, optional): The settings a config changes.

    Returns:
        dict: Every key of :data:`CASCADE_DEFAULTS`.

    Raises:
        ValueError: On a key the cascade does not know (a typo would
            otherwise be ignored silently) or a scale factor outside (0, 1).
    """
    cascade_cfg = dict(cascade_cfg or {})
    unknown = sorted(set(cascade_cfg) - set(CASCADE_DEFAULTS))
    if unknown:
        raise ValueError(f'unknown test_cfg.cascade keys {unknown}; the '
                         f'cascade knows {sorted(CASCADE_DEFAULTS)}')
    settings = dict(CASCADE_DEFAULTS, **cascade_cfg)
    if not 0 < settings['scale_factor'] < 1:
        raise ValueError('test_cfg.cascade.scale_factor must be in (0, 1), '
                         f"got {settings['scale_factor']}")
    return settings


class CascadeFaceFinder:
    """Find every face of whole images with a trained :class:`MCFA`.

    Work grows with the photo: S_Net slides over every pyramid level, the
    first of which is the photo scaled so that a ``min_face_size`` face
    fills S's window. ``max_pyramid_side`` bounds that first level, so time
    and memory stay bounded on large photos (a 12-megapixel photo is
    searched on a pyramid that starts at 1280 x 960 by default); the price
    is that the smallest face found on a photo whose longer side is L
    pixels is ``max(min_face_size, window * L / max_pyramid_side)``, e.g.
    100 px (2.5 % of the side) on a 4000 x 3000 photo with the 128-px model
    (window 32). M_Net and L_Net always crop from the full-resolution image.

    Args:
        detector (MCFA): The model (its backbone, neck and head are used).
        test_cfg (dict): The model's ``test_cfg``: ``flip`` (bool) averages
            L_Net's outputs over each window and its mirror image
            (:mod:`.flip_test`), and ``cascade`` (dict) holds the cascade's
            settings, defaults in :data:`CASCADE_DEFAULTS`:

            - ``min_face_size`` (int): smallest face searched for, in pixels
              of the network input.
            - ``min_face_fraction`` (float | None): also search faces down
              to this fraction of the photo's shorter side when that is
              smaller than ``min_face_size`` (small photos hold small
              faces); None for ``min_face_size`` alone.
            - ``max_pyramid_side`` (int | None): the longest side of the
              first (largest) pyramid level; None or 0 for no bound.
            - ``scale_factor`` (float): pyramid step, in (0, 1).
            - ``thresholds``, ``nms_thresholds`` (tuple[float]): face-score
              threshold and NMS IoU of S, M and L (S's NMS runs over the
              proposals of all pyramid levels together).
            - ``level_nms_threshold`` (float): NMS IoU within each pyramid
              level of S, before the proposals of all levels meet.
            - ``max_per_img`` (int): faces kept per image, the best-scoring
              ones after L's NMS; results are ordered by score.
            - ``max_proposals`` (int): S proposals kept per image, by score.
            - ``crop_sampling_ratio`` (int): bilinear samples per output
              pixel and side when M / L windows are cropped (``roi_align``'s
              ``sampling_ratio``). 1 resizes as the training pipeline does
              (``FaceResize``: cv2's bilinear, no anti-aliasing); 2 costs
              15 % more of the cascade's time for no gain on the val splits
              (docs/benchmarks.md).
            - ``crop_batch_size`` (int): crops per forward pass of M / L.
            - ``return_stage_boxes`` (bool): also put the boxes that leave
              each stage in ``metainfo['stage_boxes']``.
    """

    def __init__(self, detector, test_cfg: dict) -> None:
        self.detector = detector
        self.cfg = cascade_settings(test_cfg.get('cascade'))
        self.flip = test_cfg.get('flip', False)
        self.input_size = detector.backbone.input_size
        self.window = self.input_size // 4  # S_Net's input side
        max_side = self.cfg['max_pyramid_side']
        if max_side and max_side < self.window:
            raise ValueError(
                'test_cfg.cascade.max_pyramid_side must be 0, None or at '
                f"least S_Net's window ({self.window}), got {max_side}")
        self.pad_value = normalised_black(detector.data_preprocessor)

    def predict(self, batch_inputs: Tensor,
                batch_img_metas: List[dict]) -> List[InstanceData]:
        """Detect, localise and describe every face of each image.

        Args:
            batch_inputs (Tensor): Preprocessed images ``(B, 3, H, W)``.
            batch_img_metas (list[dict]): Metas with ``img_shape``.

        Returns:
            list[InstanceData]: Per image, K faces in input pixels, best
            score first, with ``bboxes``, ``scores``, ``labels``,
            ``keypoints`` and ``attribute_scores``;
            ``metainfo['num_proposals']`` gives how many candidates left
            each stage and, with ``return_stage_boxes``,
            ``metainfo['stage_boxes']`` the boxes themselves (``s``: S's
            squared proposals, ``m``: M's squared boxes, ``l``: L's boxes
            before ``max_per_img``; input pixels, not rescaled).
        """
        return [
            self._predict_one(image[:, :meta['img_shape'][0], :meta[
                'img_shape'][1]]) for image, meta in zip(
                    batch_inputs, batch_img_metas)
        ]

    def _predict_one(self, image: Tensor) -> InstanceData:
        boxes, scores = self.propose(image)
        stage_boxes = {'s': boxes}
        outs = {}
        for stage in (2, 3):
            boxes, scores, outs = self.refine(image, boxes, stage)
            stage_boxes['ml'[stage - 2]] = boxes
        instances = self._to_instances(image, boxes, scores, outs)
        metainfo = dict(
            num_proposals={k: len(v) for k, v in stage_boxes.items()})
        if self.cfg['return_stage_boxes']:
            metainfo['stage_boxes'] = stage_boxes
        instances.set_metainfo(metainfo)
        return instances

    def pyramid_scales(self, height: int, width: int) -> List[float]:
        """Scales at which the smallest face searched fills S's window,
        the first one bounded by ``max_pyramid_side``."""
        min_face = self.cfg['min_face_size']
        if self.cfg['min_face_fraction']:
            min_face = min(min_face,
                           self.cfg['min_face_fraction'] * min(height, width))
        scale = self.window / min_face
        if self.cfg['max_pyramid_side']:
            scale = min(scale,
                        self.cfg['max_pyramid_side'] / max(height, width))
        scales = []
        while min(height, width) * scale >= self.window:
            scales.append(scale)
            scale *= self.cfg['scale_factor']
        return scales

    @torch.no_grad()
    def propose(self, image: Tensor) -> Tuple[Tensor, Tensor]:
        """S_Net over the pyramid: calibrated, NMS-reduced square boxes."""
        height, width = image.shape[-2:]
        stride = 2**3  # S_Net's three pools
        all_boxes, all_scores = [], []
        for scale in self.pyramid_scales(height, width):
            size = (max(1, int(math.ceil(height * scale))),
                    max(1, int(math.ceil(width * scale))))
            scaled = torch.nn.functional.interpolate(
                image[None], size=size, mode='bilinear', align_corners=False)
            outs = self.detector.head.branches[0](
                self.detector.backbone.slide_s_net(scaled))
            prob = self.face_prob(outs)[0]
            ys, xs = torch.nonzero(
                prob > self.cfg['thresholds'][0], as_tuple=True)
            if len(ys) == 0:
                continue
            windows = torch.stack([xs, ys, xs, ys], 1).float() * stride
            windows[:, 2:] += self.window
            offsets = outs['bbox'][0][:, ys, xs].t() if 'bbox' in outs \
                else torch.zeros_like(windows)
            boxes = calibrate_boxes(windows, offsets) / scale
            scores = prob[ys, xs]
            keep = nms(boxes, scores, self.cfg['level_nms_threshold'])[1]
            all_boxes.append(boxes[keep])
            all_scores.append(scores[keep])
        if not all_boxes:
            return image.new_zeros((0, 4)), image.new_zeros((0, ))
        boxes, scores = torch.cat(all_boxes), torch.cat(all_scores)
        keep = nms(boxes, scores, self.cfg['nms_thresholds'][0])[1]
        keep = keep[:self.cfg['max_proposals']]
        return square_boxes(boxes[keep]), scores[keep]

    @torch.no_grad()
    def refine(self, image: Tensor, boxes: Tensor,
               num_stages: int) -> Tuple[Tensor, Tensor, Dict[str, Tensor]]:
        """Re-score and calibrate square ``boxes`` with M_Net or L_Net.

        Args:
            image (Tensor): ``(3, H, W)`` preprocessed image.
            boxes (Tensor): ``(K, 4)`` square crop windows.
            num_stages (int): 2 for M_Net, 3 for L_Net.

        Returns:
            tuple: surviving calibrated boxes, their scores and the stage's
            flattened outputs for them (crops padded where they leave the
            image).
        """
        if len(boxes) == 0:
            return boxes, boxes.new_zeros((0, )), {}
        outs = self.stage_outputs(image, boxes, num_stages)
        scores = self.face_prob(outs)
        keep = scores > self.cfg['thresholds'][num_stages - 1]
        windows = boxes[keep]
        outs = {k: v[keep] for k, v in outs.items()}
        offsets = outs.get('bbox', torch.zeros_like(windows))
        calibrated = calibrate_boxes(windows, offsets)
        order = nms(calibrated, scores[keep],
                    self.cfg['nms_thresholds'][num_stages - 1])[1]
        outs = {k: v[order] for k, v in outs.items()}
        outs['window'] = windows[order]
        calibrated = calibrated[order]
        if num_stages < 3:
            calibrated = square_boxes(calibrated)
        return calibrated, scores[keep][order], outs

    def crop_windows(self, image: Tensor, boxes: Tensor) -> Tensor:
        """Crop square windows of an image and resize them to the input.

        Args:
            image (Tensor): ``(3, H, W)`` preprocessed image.
            boxes (Tensor): ``(K, 4)`` crop windows in image pixels.

        Returns:
            Tensor: ``(K, 3, S, S)`` crops, S the network's input side. The
            parts of a window outside the image are black raw pixels
            (:attr:`pad_value` after normalisation), as the training crops
            are padded.
        """
        # roi_align samples zeros outside the image and is linear in its
        # input, so shifting the image by the pad value and back pads with
        # it. The subtraction also makes the contiguous copy that mmcv's
        # roi_align needs: it reads its input as contiguous memory without
        # checking (open-mmlab/mmcv#2203), and the image is usually a view
        # of the padded batch, which it would read as stripes of wrong rows.
        pad = self.pad_value.to(image)
        rois = torch.cat([boxes.new_zeros((len(boxes), 1)), boxes], 1)
        crops = roi_align((image - pad)[None].contiguous(), rois,
                          (self.input_size, self.input_size), 1.0,
                          self.cfg['crop_sampling_ratio'], 'avg', True)
        return crops + pad

    def stage_outputs(self, image: Tensor, boxes: Tensor,
                      num_stages: int) -> Dict[str, Tensor]:
        """Crop every window to the input size and run the first stages.

        Args:
            image (Tensor): ``(3, H, W)`` preprocessed image.
            boxes (Tensor): ``(K, 4)`` crop windows (squares).
            num_stages (int): 2 runs S+M_Net, 3 runs S+M+L_Net.

        Returns:
            dict[str, Tensor]: The last stage's flattened outputs, row ``k``
            for window ``k``.
        """
        chunks = []
        for start in range(0, len(boxes), self.cfg['crop_batch_size']):
            crops = self.crop_windows(
                image, boxes[start:start + self.cfg['crop_batch_size']])
            chunks.append(
                self.detector.crop_outputs(
                    crops, num_stages,
                    flip=self.flip and num_stages == 3))
        return {k: torch.cat([c[k] for c in chunks]) for k in chunks[0]}

    @staticmethod
    def face_prob(outs: Dict[str, Tensor]) -> Tensor:
        """Face probability of each row of a stage's outputs."""
        if 'face_cls' not in outs:
            raise ValueError('cascade mode needs a model trained with the '
                             "'face_cls' task")
        return outs['face_cls'].softmax(1)[:, 1]

    def _to_instances(self, image: Tensor, boxes: Tensor, scores: Tensor,
                      outs: Dict[str, Tensor]) -> InstanceData:
        height, width = image.shape[-2:]
        order = scores.argsort(descending=True)[:self.cfg['max_per_img']]
        boxes, scores = boxes[order], scores[order]
        count = len(boxes)
        instances = InstanceData()
        instances.bboxes = torch.stack([
            boxes[:, 0].clamp(0, width), boxes[:, 1].clamp(0, height),
            boxes[:, 2].clamp(0, width), boxes[:, 3].clamp(0, height)
        ], 1)
        instances.scores = scores
        instances.labels = torch.zeros(count, dtype=torch.long,
                                       device=boxes.device)
        num_attributes = self.detector.head.num_attributes
        if count == 0:
            instances.keypoints = boxes.new_zeros((0, NUM_LANDMARKS, 2))
            instances.attribute_scores = boxes.new_zeros((0, num_attributes))
            return instances
        windows = outs['window'][order]
        # without a landmark task every point is the window's centre
        points = outs['landmark'][order] if 'landmark' in outs else \
            windows.new_full((count, 2 * NUM_LANDMARKS), 0.5)
        instances.keypoints = decode_landmarks(windows, points)
        instances.attribute_scores = (
            outs['attribute'][order].sigmoid() if 'attribute' in outs else
            boxes.new_full((count, num_attributes), 0.5))
        return instances


def normalised_black(data_preprocessor) -> Tensor:
    """A black raw pixel as the network sees it after preprocessing.

    Args:
        data_preprocessor (nn.Module): The detector's data preprocessor
            (``mean`` and ``std`` buffers when it normalises).

    Returns:
        Tensor: ``(3, 1, 1)``: ``-mean / std``, or zeros when the
        preprocessor does not normalise.
    """
    if getattr(data_preprocessor, '_enable_normalize', False):
        return ((0 - data_preprocessor.mean) /
                data_preprocessor.std).reshape(-1, 1, 1).float()
    return torch.zeros(3, 1, 1)


def calibrate_boxes(windows: Tensor, offsets: Tensor) -> Tensor:
    """Apply box offsets (``box / side - (0, 0, 1, 1)``) to windows.

    Args:
        windows (Tensor): ``(K, 4)`` crop windows ``x1, y1, x2, y2``.
        offsets (Tensor): ``(K, 4)`` a stage's box outputs for them.

    Returns:
        Tensor: ``(K, 4)`` boxes in the windows' coordinates.
    """
    side = (windows[:, 2:] - windows[:, :2]).repeat(1, 2)
    corner = torch.cat([windows[:, :2], windows[:, :2]], 1)
    return corner + (offsets + offsets.new_tensor([0., 0., 1., 1.])) * side


def decode_landmarks(windows: Tensor, offsets: Tensor) -> Tensor:
    """Place a stage's landmark outputs (fractions of the window) in
    image pixels.

    Args:
        windows (Tensor): ``(K, 4)`` square crop windows.
        offsets (Tensor): ``(K, 2 * N)`` landmark outputs for them.

    Returns:
        Tensor: ``(K, N, 2)`` points ``x, y``.
    """
    side = (windows[:, 2:] - windows[:, :2])[:, None]
    return windows[:, None, :2] + offsets.view(len(windows), -1, 2) * side


def square_boxes(boxes: Tensor) -> Tensor:
    """Grow boxes to squares around their centres (the next crop window).

    Args:
        boxes (Tensor): ``(K, 4)`` boxes ``x1, y1, x2, y2``.

    Returns:
        Tensor: ``(K, 4)`` squares whose side is each box's longer side.
    """
    centre_size = bbox_xyxy_to_cxcywh(boxes)
    side = centre_size[:, 2:].max(1, keepdim=True).values
    return bbox_cxcywh_to_xyxy(torch.cat([centre_size[:, :2], side, side], 1))
