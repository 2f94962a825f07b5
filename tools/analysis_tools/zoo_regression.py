"""The numbers a shipped model must keep reproducing (its regression tests).

For a config and checkpoint: ``celeba_first300``, crop-mode mean and
balanced attribute accuracy (%) on the first 300 images of CelebA's test
split (dataset order), and ``wild_first50``, how many of the first 50 wild
test photos' labelled faces the whole-image cascade finds (a box at IoU >=
0.5). ``configs/mcfa/metafile.yml`` records them (run by
tools/analysis_tools/evaluate_recipe.sh) and
``tests/test_model_zoo/test_shipped_model.py`` checks them.
"""
import argparse
from typing import List, Optional

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

import mcfa_mm  # noqa: F401  (registers the components)
from mcfa_mm.utils.benchmarking import (evaluate_dataset, faces_found,
                                        write_report)
from mmdet.apis import init_detector
from mmdet.registry import DATASETS
from mmdet.structures.bbox import get_box_tensor


def celeba_subset_accuracy(model: torch.nn.Module, cfg: Config,
                           count: int = 300) -> dict:
    """Crop-mode ``mean_accuracy`` and ``balanced_accuracy`` (%) on the
    first ``count`` crops of the config's ``test_dataloader`` (CelebA test
    in crop mode: the recipe's is)."""
    model.test_cfg['mode'] = 'crop'
    metrics = evaluate_dataset(
        model, cfg.test_dataloader.dataset,
        dict(type='AttributeAccuracy', per_attribute=False), count)
    return dict(
        mean_accuracy=round(metrics['attr/mean_accuracy'], 2),
        balanced_accuracy=round(metrics['attr/balanced_accuracy'], 2))


@torch.no_grad()
def wild_subset_found(model: torch.nn.Module, cfg: Config, count: int = 50,
                      iou: float = 0.5) -> dict:
    """``photos``, ``found`` (labelled faces a box overlaps at ``iou``) and
    ``boxes`` (all boxes returned) of the whole-image cascade on the first
    ``count`` photos of ``cfg.wild_cascade_test`` (from
    ``configs/_base_/datasets/face_sources.py``)."""
    dataset = DATASETS.build(dict(cfg.wild_cascade_test, indices=count))
    model.test_cfg['mode'] = 'cascade'
    found = boxes = 0
    for index in range(len(dataset)):
        result = model.test_step(pseudo_collate([dataset[index]]))[0]
        boxes += len(result.pred_instances)
        found += faces_found(get_box_tensor(result.gt_instances.bboxes),
                             result.pred_instances.bboxes, iou)
    return dict(photos=len(dataset), found=found, boxes=boxes)


def regression_numbers(config: str, checkpoint: str, device: str = 'cpu',
                       cascade: bool = True) -> dict:
    """Both numbers for a config and checkpoint (see the module doc);
    without ``cascade`` only CelebA's (a model that is no face detector,
    e.g. an LFWA fine-tune that never saw a non-face)."""
    cfg = Config.fromfile(config)
    model = init_detector(cfg, checkpoint, device=device)
    numbers = dict(celeba_first300=celeba_subset_accuracy(model, cfg))
    if cascade:
        numbers['wild_first50'] = wild_subset_found(model, cfg)
    return numbers


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', default=None, help='JSON results file')
    parser.add_argument('--no-cascade', action='store_true',
                        help='CelebA crops only (not a face detector)')
    args = parser.parse_args(argv)
    write_report(
        regression_numbers(args.config, args.checkpoint, args.device,
                           not args.no_cascade), args.out)


if __name__ == '__main__':
    main()
