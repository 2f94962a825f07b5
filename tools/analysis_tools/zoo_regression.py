"""The numbers a shipped model must keep reproducing (its regression tests).

Computes, for a config and checkpoint:

- ``celeba_first300``: crop-mode mean and balanced attribute accuracy (%)
  on the first 300 images of CelebA's test split (dataset order);
- ``wild_first50``: how many of the first 50 wild test photos' labelled
  faces the whole-image cascade finds (a box at IoU >= 0.5).

The values recorded in ``configs/mcfa/metafile.yml`` come from this script,
and ``tests/test_model_zoo/test_shipped_model.py`` checks them against it.

Example:
    python tools/analysis_tools/zoo_regression.py \
        configs/mcfa/mcfa-recipe_vgg16-w025-128px_1xb32-3000i_celeba-multisource.py \
        checkpoints/mcfa-recipe_*.pth
"""
import argparse
from typing import List, Optional

import mmengine
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.evaluator import Evaluator

import mcfa_mm  # noqa: F401  (registers the components)
from mmdet.apis import init_detector
from mmdet.registry import DATASETS
from mmdet.structures.bbox import bbox_overlaps, get_box_tensor


def celeba_subset_accuracy(model: torch.nn.Module, cfg: Config,
                           count: int = 300,
                           batch_size: int = 32) -> dict:
    """Crop-mode attribute accuracy on the first ``count`` CelebA test crops.

    Args:
        model (nn.Module): The model, in crop mode.
        cfg (Config): Its config; its ``test_dataloader`` is CelebA test
            in crop mode (the recipe's is).
        count (int): Images from the start of the split.
        batch_size (int): Crops per forward pass.

    Returns:
        dict: ``mean_accuracy`` and ``balanced_accuracy`` (%).
    """
    dataset = DATASETS.build(dict(cfg.test_dataloader.dataset, indices=count))
    evaluator = Evaluator(dict(type='AttributeAccuracy', per_attribute=False))
    evaluator.dataset_meta = dataset.metainfo
    model.test_cfg['mode'] = 'crop'
    for start in range(0, len(dataset), batch_size):
        batch = pseudo_collate(
            [dataset[i] for i in range(start,
                                       min(start + batch_size, len(dataset)))])
        with torch.no_grad():
            outputs = model.test_step(batch)
        evaluator.process(outputs, batch)
    metrics = evaluator.evaluate(len(dataset))
    return dict(
        mean_accuracy=round(metrics['attr/mean_accuracy'], 2),
        balanced_accuracy=round(metrics['attr/balanced_accuracy'], 2))


def wild_subset_found(model: torch.nn.Module, cfg: Config, count: int = 50,
                      iou: float = 0.5) -> dict:
    """Labelled faces of the first ``count`` wild test photos the cascade
    finds.

    Args:
        model (nn.Module): The model (switched to cascade mode here).
        cfg (Config): Its config; ``wild_cascade_test`` (from
            ``configs/_base_/datasets/face_sources.py``) is the dataset.
        count (int): Photos from the start of the split.
        iou (float): IoU at which a box finds a face.

    Returns:
        dict: ``photos``, ``found`` and ``boxes`` (all boxes returned).
    """
    dataset = DATASETS.build(dict(cfg.wild_cascade_test, indices=count))
    model.test_cfg['mode'] = 'cascade'
    found = boxes = 0
    for index in range(len(dataset)):
        with torch.no_grad():
            result = model.test_step(pseudo_collate([dataset[index]]))[0]
        pred = result.pred_instances.bboxes
        gt = get_box_tensor(result.gt_instances.bboxes).float()
        boxes += len(pred)
        if len(pred) and len(gt):
            found += int(
                (bbox_overlaps(gt, pred.float()).max(dim=1).values >=
                 iou).sum())
    return dict(photos=len(dataset), found=found, boxes=boxes)


def regression_numbers(config: str, checkpoint: str,
                       device: str = 'cpu') -> dict:
    """Both numbers for a config and checkpoint (see the module doc)."""
    cfg = Config.fromfile(config)
    model = init_detector(cfg, checkpoint, device=device)
    return dict(
        celeba_first300=celeba_subset_accuracy(model, cfg),
        wild_first50=wild_subset_found(model, cfg))


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args(argv)
    print(mmengine.dump(
        regression_numbers(args.config, args.checkpoint, args.device),
        file_format='json', indent=1))


if __name__ == '__main__':
    main()
