import torch
import torch.nn as nn

from mcfa_mm.utils.complexity import count_macs


def test_counts_conv_and_linear_macs_but_not_norms():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4),
                          nn.Flatten(), nn.Linear(4 * 8 * 8, 10)).train()
    counts = count_macs(model, model, torch.zeros(1, 3, 8, 8))
    assert counts['conv_macs'] == 8 * 8 * 4 * 3 * 3 * 3
    assert counts['linear_macs'] == 256 * 10
    assert counts['macs'] == counts['conv_macs'] + counts['linear_macs']
    assert model.training  # the mode is put back


def test_counts_what_the_callable_runs():
    """A method running part of the model counts only that part, and
    nested outputs (MCFA's list of dicts) are fine."""
    model = nn.Sequential(nn.Linear(6, 5), nn.Linear(5, 2))
    first = count_macs(model, lambda x: {'a': [model[0](x)]},
                       torch.zeros(3, 6))
    assert first['macs'] == 3 * 6 * 5
