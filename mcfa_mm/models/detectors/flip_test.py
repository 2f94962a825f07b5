"""Flip test: average a stage's outputs over a crop and its mirror image.

The usual test-time augmentation of face models (MMPose's ``flip_test``):
the attributes do not change under a horizontal flip, and the box and the
landmarks change in a known way, so the mirrored crop is a second opinion
at the price of a second forward pass. ``test_cfg.flip=True`` turns it on
for crop mode and for L_Net's windows in cascade mode.
"""
from typing import Callable, Dict

import torch
from torch import Tensor

from ...datasets.metainfo import LANDMARK_FLIP_INDICES, NUM_LANDMARKS

StageForward = Callable[[Tensor], Dict[str, Tensor]]


def unflip_outputs(outs: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Map a stage's flattened outputs on mirrored crops back to the crops.

    The outputs are in crop fractions: box offsets ``box / side - (0, 0, 1,
    1)`` and landmarks ``(x, y) / side``. Mirroring maps ``x`` to ``1 - x``,
    swaps the box's two x edges and swaps left and right landmarks; logits
    (face, attributes, dynamic weights) do not depend on the side.

    Args:
        outs (dict[str, Tensor]): ``(B, C)`` outputs of mirrored crops.

    Returns:
        dict[str, Tensor]: The outputs the unmirrored crops correspond to.
    """
    outs = dict(outs)
    if 'bbox' in outs:
        dx1, dy1, dx2, dy2 = outs['bbox'].unbind(1)
        # x1' = 1 - x2 = -dx2 and x2' - 1 = -x1 = -dx1
        outs['bbox'] = torch.stack([-dx2, dy1, -dx1, dy2], 1)
    if 'landmark' in outs:
        points = outs['landmark'].view(-1, NUM_LANDMARKS, 2)
        points = torch.stack([1 - points[..., 0], points[..., 1]], -1)
        outs['landmark'] = points[:, list(LANDMARK_FLIP_INDICES)].flatten(1)
    return outs


def flip_averaged(forward: StageForward, crops: Tensor) -> Dict[str, Tensor]:
    """Run ``forward`` on crops and their mirror images in one batch and
    average the two (the mirrored half mapped back first).

    Args:
        forward (Callable): Crops ``(B, 3, S, S)`` -> flattened outputs.
        crops (Tensor): The crops, each filling its whole tensor (no
            padding: the mirror of a padded crop is not the crop's mirror).

    Returns:
        dict[str, Tensor]: ``(B, C)`` averaged outputs.
    """
    both = forward(torch.cat([crops, crops.flip(-1)]))
    # chunk, not slicing at len(crops): an ONNX trace keeps the batch size
    # dynamic through it
    halves = {k: v.chunk(2) for k, v in both.items()}
    plain = {k: v[0] for k, v in halves.items()}
    mirrored = unflip_outputs({k: v[1] for k, v in halves.items()})
    return {k: (plain[k] + mirrored[k]) / 2 for k in plain}
