"""Mine hard negatives as MTCNN does: run a trained model's cascade over the
training photos and keep the boxes that overlap no labelled face.

Every box the cascade returns whose IoU with every labelled face of its
photo is below ``--max-iou`` (MTCNN: 0.3) is a false positive: a window the
model calls a face and is not. They are written one per line as

    <image id> <x1> <y1> <x2> <y2> <score>

in the image's pixels, the file ``HardNegativeCrop`` reads in a second
training phase (configs/mcfa/mcfa-recipe-hardneg_*.py). Run it on TRAIN
photos only: mining the test split would leak it into training.

Example:
    python tools/misc/mine_hard_negatives.py \
        configs/mcfa/mcfa-recipe_vgg16-w025-128px_cascade_wild.py CKPT \
        --split train --out work_dirs/hard_negatives_wild.txt
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

import mmengine
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate

import mcfa_mm  # noqa: F401  (registers the components)
from mmdet.apis import init_detector
from mmdet.registry import DATASETS
from mmdet.structures.bbox import bbox_overlaps, get_box_tensor


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a cascade-mode test config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True, help='negatives file')
    parser.add_argument('--split', default='train',
                        help="dataset split to mine (default 'train')")
    parser.add_argument('--max-iou', type=float, default=0.3,
                        help='a box is a negative below this IoU with '
                        'every labelled face (MTCNN: 0.3)')
    parser.add_argument('--max-images', type=int, default=None,
                        help='mine the first N photos only')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        default={}, help='config overrides')
    return parser.parse_args(argv)


def false_positives(pred_boxes: torch.Tensor, scores: torch.Tensor,
                    gt_boxes: torch.Tensor, max_iou: float) -> List[tuple]:
    """The predicted boxes that overlap every labelled face by < max_iou.

    Args:
        pred_boxes (Tensor): (K, 4) xyxy predictions.
        scores (Tensor): (K,) their scores.
        gt_boxes (Tensor): (N, 4) labelled faces.
        max_iou (float): IoU below which a box is a negative.

    Returns:
        list[tuple]: ``(x1, y1, x2, y2, score)`` of each false positive.
    """
    if len(pred_boxes) == 0:
        return []
    if len(gt_boxes):
        best = bbox_overlaps(pred_boxes, gt_boxes).max(dim=1).values
    else:
        best = pred_boxes.new_zeros(len(pred_boxes))
    keep = best < max_iou
    return [(*box.tolist(), float(score))
            for box, score in zip(pred_boxes[keep], scores[keep])]


def main(argv: Optional[List[str]] = None) -> dict:
    """Mine and write the negatives; returns a summary (also printed)."""
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    dataset_cfg = cfg.test_dataloader.dataset
    dataset_cfg.split = args.split
    dataset_cfg.test_mode = True
    # the model first: init_detector sets mmdet's default scope, which the
    # dataset's pipeline needs
    model = init_detector(cfg, args.checkpoint, device=args.device)
    dataset = DATASETS.build(dataset_cfg)
    model.test_cfg['mode'] = 'cascade'
    count = len(dataset) if args.max_images is None else min(
        args.max_images, len(dataset))
    lines, photos_with = [], 0
    progress = mmengine.ProgressBar(count)
    for index in range(count):
        data = dataset[index]
        with torch.no_grad():
            result = model.test_step(pseudo_collate([data]))[0]
        gt = get_box_tensor(result.gt_instances.bboxes).float()
        gt = gt / gt.new_tensor(result.scale_factor).repeat(2) \
            if 'scale_factor' in result else gt
        pred = result.pred_instances
        found = false_positives(pred.bboxes.float(), pred.scores, gt,
                                args.max_iou)
        photos_with += bool(found)
        img_id = dataset.get_data_info(index)['img_id']
        lines += [f'{img_id} ' + ' '.join(f'{v:.1f}' for v in box[:4]) +
                  f' {box[4]:.4f}' for box in found]
        progress.update()
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as file:
        file.write(''.join(line + '\n' for line in lines))
    summary = dict(photos=count, negatives=len(lines),
                   photos_with_negatives=photos_with, out=args.out)
    print('\n' + mmengine.dump(summary, file_format='json'))
    return summary


if __name__ == '__main__':
    main()
