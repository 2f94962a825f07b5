"""Dynamic-weight attribute loss of MCFA (paper, Eqs. 4, 6, 7) and fixes."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_reduce
from torch import Tensor

from mmdet.registry import MODELS

WEIGHTING_MODES = ('paper', 'equal', 'adversarial', 'loss_driven')


class _GradientReversal(torch.autograd.Function):
    """Identity forward; multiplies the gradient by ``-1`` backward."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return -grad


@MODELS.register_module()
class DynamicWeightAttributeLoss(nn.Module):
    """Per-attribute binary cross-entropy combined with dynamic weights.

    The paper (Eq. 4, 6) computes ``L_attr = mu^T l`` with
    ``mu = softmax(W^T x + b)`` learned from the shared feature ``x`` and
    ``l`` the per-attribute loss vector. Since
    ``dL/dalpha_j = mu_j (l_j - L)``, minimising the joint loss moves weight
    *away* from attributes whose loss is above the weighted mean: trained as
    written, the weights favour the EASY attributes, the opposite of what the
    paper says. The modes:

    - ``'paper'``: the formula as written (for faithful reproduction).
    - ``'equal'``: fixed ``mu = 1/d`` (the usual multi-label BCE); the
      weight branch is ignored.
    - ``'adversarial'``: the weight branch gets the reversed gradient of
      ``mu^T l`` plus an entropy bonus ``entropy_weight * H(mu)``, so it
      maximises ``mu^T l + lambda H(mu)`` whose optimum is
      ``mu ~ softmax(l / lambda)``: harder attributes get more weight, and
      lambda (a temperature) keeps the weights from collapsing on one.
    - ``'loss_driven'``: no learned weights, ``mu = softmax(l_ema / T)`` from
      a running average of the per-attribute losses (stop-gradient). The
      average is the buffer ``loss_ema``: it is saved in checkpoints (a
      resumed run weights as the uninterrupted one would) and its update
      uses the per-attribute losses of all ranks (summed with an
      all-reduce), so every DDP replica weights alike. It starts at the
      first training batch's losses; before that, evaluation uses the
      batch's own losses and leaves it unset.

    In every mode the weights are rescaled so that ``sum(mu) = 1`` over the
    attributes a sample has labels for (label -1 means unknown and is
    ignored), and the loss is averaged over samples with at least one label.
    ``loss_weight * d`` scaling (``scale_by_num_attributes``) makes the loss
    comparable to a mean-reduced BCE per attribute times d.

    Weights that are not finite (a diverged weight layer, or NaN losses in
    the running average) raise ``FloatingPointError`` naming the stage
    (the ``stage`` attribute, which :class:`MCFAHead` sets) instead of
    turning into a silent zero attribute loss.

    Args:
        mode (str): One of ``'paper'``, ``'equal'``, ``'adversarial'``,
            ``'loss_driven'``.
        loss_weight (float): Multiplier of the loss.
        entropy_weight (float): lambda of the adversarial mode.
        temperature (float): T of the loss-driven mode.
        ema_momentum (float): Momentum of the loss-driven running losses.
        scale_by_num_attributes (bool): Multiply by d, so that the equal mode
            equals the sum of per-attribute mean BCEs (the paper's weights
            sum to one, which makes the attribute loss d times smaller than
            the usual sum over attributes).
    """

    def __init__(self,
                 mode: str = 'adversarial',
                 loss_weight: float = 1.0,
                 entropy_weight: float = 0.5,
                 temperature: float = 0.5,
                 ema_momentum: float = 0.9,
                 scale_by_num_attributes: bool = False) -> None:
        super().__init__()
        if mode not in WEIGHTING_MODES:
            raise ValueError(f'Unknown dynamic weighting mode {mode!r}; '
                             f'choose one of {WEIGHTING_MODES}')
        if entropy_weight <= 0 and mode == 'adversarial':
            raise ValueError('adversarial mode needs entropy_weight > 0, '
                             'else the weights collapse on one attribute')
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.mode = mode
        self.loss_weight = loss_weight
        self.entropy_weight = entropy_weight
        self.temperature = temperature
        self.ema_momentum = ema_momentum
        self.scale_by_num_attributes = scale_by_num_attributes
        #: Name of the stage this loss serves, for error messages.
        self.stage: Optional[str] = None
        # Not checkpointed: diagnostics for hooks, refreshed every step.
        self.register_buffer('last_weights', torch.zeros(0), persistent=False)
        self.register_buffer('last_entropy', torch.zeros(()), persistent=False)
        # The loss-driven mode's state: checkpointed. Empty until the first
        # training batch says how many attributes there are.
        self.register_buffer(
            'loss_ema', torch.zeros(0), persistent=mode == 'loss_driven')

    @property
    def uses_weight_branch(self) -> bool:
        """Whether the learned weight layer ``W^T x + b`` is used."""
        return self.mode in ('paper', 'adversarial')

    @property
    def detach_weight_input(self) -> bool:
        """Whether the weight layer must see a detached shared feature.

        In the adversarial mode the weight layer ascends the loss; its
        reversed gradient must not reach the shared trunk, which would then
        be trained to make attributes harder.
        """
        return self.mode == 'adversarial'

    def forward(self,
                attr_logits: Tensor,
                labels: Tensor,
                weight_logits: Optional[Tensor] = None) -> Tensor:
        """Compute the weighted attribute loss.

        Args:
            attr_logits (Tensor): ``(B, d)`` attribute logits.
            labels (Tensor): ``(B, d)`` with 1 present, 0 absent, -1 unknown.
            weight_logits (Tensor, optional): ``(B, d)`` output of the weight
                layer (alpha in Eq. 7); needed by 'paper' and 'adversarial'.

        Returns:
            Tensor: Scalar loss (zero, still attached to the graph, when no
            sample has a known label).
        """
        known = labels >= 0
        per_attr = F.binary_cross_entropy_with_logits(
            attr_logits, labels.clamp(min=0).to(attr_logits.dtype),
            reduction='none') * known
        weights = self._weights(per_attr, known, weight_logits)
        rows = known.any(dim=1)
        num_rows = rows.sum().clamp(min=1)
        if self.mode == 'adversarial':
            # The weighted loss reaches the weight layer reversed (it
            # maximises mu^T l) while the entropy bonus reaches it as is
            # (it maximises H): the optimum is mu ~ softmax(l / lambda).
            # The bonus enters as (x - x.detach()): a gradient, no value, so
            # the logged loss stays mu^T l.
            reversed_weights = self._weights(
                per_attr, known, _GradientReversal.apply(weight_logits))
            loss = (reversed_weights * per_attr).sum() / num_rows
            entropy = -(weights * weights.clamp(min=1e-12).log()).sum(1)
            bonus = -self.entropy_weight * entropy[rows].sum() / num_rows
            loss = loss + bonus - bonus.detach()
        else:
            loss = (weights * per_attr).sum() / num_rows
        self._record(weights.detach(), rows)
        if self.scale_by_num_attributes:
            loss = loss * labels.shape[1]
        return self.loss_weight * loss

    def _weights(self, per_attr: Tensor, known: Tensor,
                 weight_logits: Optional[Tensor]) -> Tensor:
        """Dynamic weights ``mu`` (B, d), zero on unknown labels."""
        if self.uses_weight_branch:
            if weight_logits is None:
                raise ValueError(f'mode {self.mode!r} needs weight_logits')
            logits = weight_logits
        elif self.mode == 'equal':
            logits = torch.zeros_like(per_attr)
        else:  # loss_driven
            logits = self._loss_ema(per_attr, known).expand_as(per_attr)
            logits = logits / self.temperature
        # softmax restricted to the known labels of each row (Eq. 7 over the
        # attributes that have a loss), so each row's weights sum to 1. A
        # row without any known label has no weights (its softmax over
        # nothing is NaN): zeros, and masked_fill keeps its gradient zero.
        logits = logits.masked_fill(~known, float('-inf'))
        weights = torch.softmax(logits, dim=1)
        weights = torch.where(
            known.any(dim=1, keepdim=True), weights, torch.zeros_like(weights))
        if not torch.isfinite(weights).all():
            source = ('the running attribute losses' if self.mode ==
                      'loss_driven' else 'the weight layer (alpha, Eq. 7)')
            raise FloatingPointError(
                f'{type(self).__name__} of stage {self.stage or "?"!r} '
                f'(mode {self.mode!r}): the attribute weights are not '
                f'finite because {source} diverged to NaN / inf. Lower the '
                'learning rate or clip the gradients.')
        return weights

    def _loss_ema(self, per_attr: Tensor, known: Tensor) -> Tensor:
        """Running per-attribute losses ``(1, d)`` of the loss-driven mode.

        In training, the batch's per-attribute loss sums and label counts
        are summed over all ranks before the update, so every replica
        holds the same average.
        """
        num_attributes = per_attr.shape[1]
        sums = per_attr.detach().sum(0)
        counts = known.sum(0).to(sums.dtype)
        if self.training:
            totals = torch.cat([sums, counts])
            all_reduce(totals, op='sum')  # a no-op without distribution
            sums, counts = totals.split(num_attributes)
        batch_mean = sums / counts.clamp(min=1)
        if self.loss_ema.numel() != num_attributes:
            if not self.training:
                return batch_mean.unsqueeze(0)
            self.loss_ema = batch_mean
        elif self.training:
            updated = self.ema_momentum * self.loss_ema + (
                1 - self.ema_momentum) * batch_mean
            self.loss_ema = torch.where(counts > 0, updated, self.loss_ema)
        return self.loss_ema.unsqueeze(0)

    def _load_from_state_dict(self, state_dict: dict, prefix: str,
                              *args, **kwargs) -> None:
        """Size ``loss_ema`` like the saved one before loading it.

        The buffer is empty until the first training step; a checkpoint
        taken later holds ``d`` values, and loading them into a fresh
        module (resume) must not fail on the shape.
        """
        saved = state_dict.get(prefix + 'loss_ema')
        if saved is not None and saved.shape != self.loss_ema.shape:
            self.loss_ema = self.loss_ema.new_empty(saved.shape)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _record(self, weights: Tensor, rows: Tensor) -> None:
        if rows.any():
            mean = weights[rows].mean(0)
            self.last_weights = mean
            self.last_entropy = -(mean * mean.clamp(min=1e-12).log()).sum()
