import torch
import torch.nn as nn

from mcfa_mm.utils.complexity import count_macs


def test_counts_conv_and_linear_macs():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Flatten(),
                          nn.Linear(4 * 8 * 8, 10))
    counts = count_macs(model, torch.zeros(1, 3, 8, 8))
    assert counts['conv_macs'] == 8 * 8 * 4 * 3 * 3 * 3
    assert counts['linear_macs'] == 256 * 10
    assert counts['params'] == sum(p.numel() for p in model.parameters())
    # hooks are removed afterwards
    assert not model[0]._forward_hooks
