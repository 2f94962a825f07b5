"""Multi-task head of MCFA: per-stage task branches and the joint loss."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from ...datasets.metainfo import FACE, NON_FACE, NUM_LANDMARKS
from .task_branch import TASKS, StageTaskBranch
from .targets import FaceTargets, build_face_targets

STAGE_NAMES = ('s', 'm', 'l')


@MODELS.register_module()
class MCFAHead(BaseModule):
    """Task branches of S_Net, M_Net and L_Net and their joint loss (Eq. 5).

    Each stage predicts face/non-face, box offsets, 5 landmarks, d attribute
    logits and d dynamic weights. The joint loss sums, over stages, the
    face classification (softmax cross-entropy, Eq. 1), box and landmark
    (squared Euclidean, Eqs. 2, 3) and dynamic-weight attribute (Eq. 4)
    losses. Every loss sees only the samples that carry its label: a
    non-face trains only classification, a part face only the box, a sample
    without landmarks no landmark loss, one without attributes no attribute
    loss.

    Box and landmark targets are normalised by the input crop's side:
    ``bbox = box / side - (0, 0, 1, 1)`` (offsets of the face box from the
    crop window, as in MTCNN) and ``landmark = points / side``.

    Args:
        in_channels (Sequence[int]): Width of each stage's shared feature
            (the neck's ``out_channels``).
        hidden_channels (Sequence[int]): Width of each stage's two layers.
        num_attributes (int): d.
        tasks (Sequence[str]): Enabled tasks; the paper's variants are
            MCFA_FAC ``('attribute',)``, MCFA_FD_FAC ``('face_cls', 'bbox',
            'attribute')``, MCFA_FLL_FAC ``('landmark', 'attribute')`` and
            MCFA (all four).
        loss_attr (dict): Config of the attribute loss
            (:class:`DynamicWeightAttributeLoss`); one instance per stage.
        loss_bbox (dict): Box regression loss, any mmdet loss with the
            ``(pred, target, weight, avg_factor)`` signature. It is summed
            over the 4 offsets and averaged over the boxed samples, so the
            default ``MSELoss`` is the paper's squared Euclidean (Eq. 2);
            ``L1Loss``, ``SmoothL1Loss`` or :class:`WingLoss` hear small
            errors better.
        loss_landmark (dict): Landmark loss, as ``loss_bbox`` (Eq. 3).
        loss_weights (dict): Fixed multiplier per task, default 1 (Eq. 5).
        task_weighting (dict, optional): A learned weighting of the
            ``{stage}_loss_{task}`` losses built with ``loss_names=`` them,
            e.g. :class:`UncertaintyTaskWeighting`; applied after
            ``loss_weights``. None keeps the fixed sum.
        ohem_ratio (float, optional): Keep only the hardest fraction of the
            face classification losses (MTCNN uses 0.7); None keeps all.
        stage_loss_weights (Sequence[float]): Multiplier of each stage's
            losses; Eq. 5 sums the stages with weight 1. ``(0, 0, 1)``
            trains L_Net alone (an ablation).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (256, 1280, 2304),
                 hidden_channels: Sequence[int] = (256, 512, 512),
                 num_attributes: int = 40,
                 tasks: Sequence[str] = TASKS,
                 loss_attr: ConfigType = dict(
                     type='DynamicWeightAttributeLoss', mode='adversarial'),
                 loss_bbox: ConfigType = dict(type='MSELoss'),
                 loss_landmark: ConfigType = dict(type='MSELoss'),
                 loss_weights: Optional[Dict[str, float]] = None,
                 task_weighting: OptConfigType = None,
                 ohem_ratio: Optional[float] = None,
                 stage_loss_weights: Sequence[float] = (1.0, 1.0, 1.0),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(hidden_channels) < len(in_channels):
            raise ValueError('hidden_channels needs one width per stage')
        self.tasks = tuple(tasks)
        self.num_stages = len(in_channels)
        self.num_attributes = num_attributes
        self.loss_weights = dict.fromkeys(TASKS, 1.0)
        self.loss_weights.update(loss_weights or {})
        self.ohem_ratio = ohem_ratio
        self.stage_loss_weights = tuple(stage_loss_weights)
        self.attr_losses = nn.ModuleList()
        branches = []
        for index, (cin, hidden) in enumerate(
                zip(in_channels, hidden_channels)):
            attr_loss = MODELS.build(copy.deepcopy(loss_attr))
            attr_loss.stage = STAGE_NAMES[index]  # named in its errors
            self.attr_losses.append(attr_loss)
            branches.append(
                StageTaskBranch(
                    cin, hidden, num_attributes, self.tasks,
                    fully_convolutional=index == 0,
                    with_dynamic_weights=attr_loss.uses_weight_branch,
                    detach_weight_input=attr_loss.detach_weight_input))
        self.branches = nn.ModuleList(branches)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_landmark = MODELS.build(loss_landmark)
        self.task_weighting = None
        if task_weighting is not None:
            self.task_weighting = MODELS.build(
                task_weighting, default_args=dict(loss_names=self.loss_names))

    @property
    def loss_names(self) -> Tuple[str, ...]:
        """Keys of the losses :meth:`loss` returns, stage by stage."""
        keys = dict(face_cls='loss_cls', bbox='loss_bbox',
                    landmark='loss_landmark', attribute='loss_attr')
        return tuple(f'{stage}_{keys[task]}' for stage in self.stage_names
                     for task in TASKS if task in self.tasks)

    @property
    def stage_names(self) -> Sequence[str]:
        """Names of the built stages ('s', 'm', 'l')."""
        return STAGE_NAMES[:self.num_stages]

    def forward(self, feats: Sequence[Tensor]) -> List[Dict[str, Tensor]]:
        """Run the task branch of every stage present in ``feats``.

        Args:
            feats (Sequence[Tensor]): The neck's shared features.

        Returns:
            list[dict]: Per stage, the raw outputs of
            :class:`StageTaskBranch` (S's as maps ``(B, C, h, w)``).
        """
        return [branch(feat) for branch, feat in zip(self.branches, feats)]

    def loss(self, feats: Sequence[Tensor],
             batch_data_samples: list) -> Dict[str, Tensor]:
        """Joint loss of all stages (paper, Eq. 5).

        Args:
            feats (Sequence[Tensor]): The neck's shared features.
            batch_data_samples (list[DetDataSample]): Training samples with
                ``gt_instances`` and ``face_label`` (see the data contract).

        Returns:
            dict[str, Tensor]: ``{stage}_loss_{task}`` for each stage and
            enabled task, and ``{stage}_face_acc``.
        """
        device = feats[0].device
        targets = build_face_targets(batch_data_samples, self.num_attributes,
                                     device)
        stage_outputs = self(feats)
        losses = {}
        # Under mixed precision the branches run in bf16 / fp16 and return
        # fp32; the losses (log-sums, Wing's log, the dynamic weights'
        # softmax) stay in fp32 instead of following autocast's op lists.
        with torch.autocast(device_type=device.type, enabled=False):
            for name, outs, attr_loss, weight in zip(
                    self.stage_names, stage_outputs, self.attr_losses,
                    self.stage_loss_weights):
                outs = {k: v.flatten(1) for k, v in outs.items()}
                for key, value in self.stage_loss(outs, targets,
                                                  attr_loss).items():
                    losses[f'{name}_{key}'] = value * weight if key.startswith(
                        'loss') else value
            if self.task_weighting is not None:
                losses = self.task_weighting(losses)
        return losses

    def stage_loss(self, outs: Dict[str, Tensor], targets: FaceTargets,
                   attr_loss: nn.Module) -> Dict[str, Tensor]:
        """Losses of one stage from its flattened outputs."""
        losses = {}
        weights = self.loss_weights
        if 'face_cls' in outs:
            cls_loss, accuracy = self._face_cls_loss(outs['face_cls'],
                                                     targets.face_label)
            losses['loss_cls'] = weights['face_cls'] * cls_loss
            losses['face_acc'] = accuracy
        if 'bbox' in outs:
            losses['loss_bbox'] = weights['bbox'] * _masked_regression(
                self.loss_bbox, outs['bbox'], targets.bbox, targets.bbox_mask)
        if 'landmark' in outs:
            losses['loss_landmark'] = weights['landmark'] * _masked_regression(
                self.loss_landmark, outs['landmark'], targets.landmark,
                targets.landmark_mask)
        if 'attribute' in outs:
            losses['loss_attr'] = weights['attribute'] * attr_loss(
                outs['attribute'], targets.attributes, outs.get('attr_weight'))
        return losses

    def _face_cls_loss(self, logits: Tensor, face_label: Tensor):
        """Softmax loss over faces and non-faces (part faces ignored)."""
        valid = (face_label == FACE) | (face_label == NON_FACE)
        if not valid.any():
            return logits.sum() * 0, logits.new_zeros(())
        logits, labels = logits[valid], face_label[valid]
        per_sample = F.cross_entropy(logits, labels, reduction='none')
        if self.ohem_ratio is not None:
            keep = max(1, int(round(per_sample.numel() * self.ohem_ratio)))
            per_sample = per_sample.topk(keep).values
        accuracy = (logits.argmax(1) == labels).float().mean() * 100
        return per_sample.mean(), accuracy.detach()

    def predict(self, feats: Sequence[Tensor],
                batch_img_metas: List[dict]) -> List[InstanceData]:
        """Crop-mode prediction from the last stage: one face per input.

        Args:
            feats (Sequence[Tensor]): The neck's shared features of the
                resized input crops.
            batch_img_metas (list[dict]): Metas with ``img_shape``.

        Returns:
            list[InstanceData]: One instance each, in input-crop pixels:
            ``bboxes`` (1, 4), ``scores`` (1,), ``labels`` (1,),
            ``keypoints`` (1, 5, 2), ``attribute_scores`` (1, d).
        """
        return split_instances(self.predict_batch(feats, batch_img_metas))

    def predict_batch(self, feats: Sequence[Tensor],
                      batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """:meth:`predict` as batched tensors (row ``i`` is input ``i``).

        The detector maps these to the original images before splitting
        them into instances: one tensor op per field for the whole batch
        instead of several per sample.
        """
        return self.decode_batch(self.last_stage_outputs(feats),
                                 batch_img_metas)

    def last_stage_outputs(self, feats: Sequence[Tensor]) -> Dict[str, Tensor]:
        """Flattened outputs ``(B, C)`` of the deepest stage in ``feats``."""
        outs = self.branches[len(feats) - 1](feats[-1])
        return {k: v.flatten(1) for k, v in outs.items()}

    def decode_batch(self, outs: Dict[str, Tensor],
                     batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """Turn one stage's flattened outputs into batched fields in crop
        pixels: ``bboxes`` (B, 4), ``scores`` (B,), ``labels`` (B,),
        ``keypoints`` (B, 5, 2), ``attribute_scores`` (B, d).

        Tasks a variant does not train get neutral values: the whole crop as
        box, score 1, landmarks at the crop centre, attribute scores 0.5.
        """
        batch = len(batch_img_metas)
        device = next(iter(outs.values())).device
        sides = torch.tensor(
            [[m['img_shape'][1], m['img_shape'][0]] for m in batch_img_metas],
            dtype=torch.float32, device=device)
        window = torch.tensor([0., 0., 1., 1.], device=device)
        offsets = outs.get('bbox', torch.zeros(batch, 4, device=device))
        points = outs.get('landmark',
                          torch.full((batch, 2 * NUM_LANDMARKS), 0.5,
                                     device=device))
        return dict(
            bboxes=(offsets + window) * sides.repeat(1, 2),
            scores=(outs['face_cls'].softmax(1)[:, 1]
                    if 'face_cls' in outs else torch.ones(batch,
                                                          device=device)),
            labels=torch.zeros(batch, dtype=torch.long, device=device),
            keypoints=points.view(batch, NUM_LANDMARKS, 2) * sides[:, None],
            attribute_scores=(outs['attribute'].sigmoid()
                              if 'attribute' in outs else torch.full(
                                  (batch, self.num_attributes), 0.5,
                                  device=device)))


def split_instances(fields: Dict[str, Tensor]) -> List[InstanceData]:
    """Split batched fields into one single-row :class:`InstanceData` each.

    ``Tensor.split`` makes all the row views of a field in one call, which
    is cheaper than slicing every field of every sample in Python.

    Args:
        fields (dict[str, Tensor]): Tensors of equal first dimension B.

    Returns:
        list[InstanceData]: B instances, rows in the order of the batch.
    """
    rows = [value.split(1) for value in fields.values()]
    results = []
    for sample_rows in zip(*rows):
        instances = InstanceData()
        for key, row in zip(fields, sample_rows):
            setattr(instances, key, row)
        results.append(instances)
    return results


def _masked_regression(loss: nn.Module, pred: Tensor, target: Tensor,
                       mask: Tensor) -> Tensor:
    """``loss`` summed over coordinates, averaged over the masked samples.

    With mmdet's ``MSELoss`` this is the mean of ``||pred - target||^2``,
    the paper's squared Euclidean loss (Eqs. 2, 3).
    """
    if not mask.any():
        return pred.sum() * 0
    return loss(pred[mask], target[mask], avg_factor=int(mask.sum()))
