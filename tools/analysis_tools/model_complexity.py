"""Parameters and MACs per face of an MCFA config, per sub-network (JSON).

MACs are counted by mmengine's FlopAnalyzer (see
:mod:`mcfa_mm.utils.complexity`).

Example:
    python tools/analysis_tools/model_complexity.py \
        configs/mcfa/mcfa_vgg16_8xb32-30e_celeba-multisource.py
"""
import argparse
import json

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mcfa_mm  # noqa: F401  (registers the components)
from mcfa_mm.utils.complexity import count_macs
from mmdet.registry import MODELS


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='model config file')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = MODELS.build(cfg.model).eval()
    size = model.input_size
    face = torch.zeros(1, 3, size, size)
    report = dict(config=args.config, input_size=size)
    for num_stages, name in ((1, 'S'), (2, 'S+M'), (3, 'S+M+L')):
        counts = count_macs(
            model, lambda x, n=num_stages: model.extract_feat(x, n), face)
        report[f'{name}_backbone_neck_gmacs'] = round(counts['macs'] / 1e9, 3)
    total = count_macs(model, model._forward, face)
    report.update(
        params_m=round(sum(p.numel() for p in model.parameters()) / 1e6, 2),
        gmacs_per_face=round(total['macs'] / 1e9, 3),
        conv_gmacs=round(total['conv_macs'] / 1e9, 3),
        linear_gmacs=round(total['linear_macs'] / 1e9, 3))
    print(json.dumps(report, indent=1))


if __name__ == '__main__':
    main()
