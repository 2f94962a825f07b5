"""Where does the cascade lose faces? Recall after each stage, and L_Net
given the labelled face as its window (JSON).

For every test image of a cascade config: the fraction of labelled faces
that some box of S_Net, M_Net and L_Net overlaps at ``--iou`` or more, the
boxes per stage, how L_Net's boxes overlap the faces (IoU bands) and how
often its top-scoring box is a face. Then L_Net on each labelled box,
squared as the cascade squares its windows: its face probability (also for
a window twice the side: a near miss), how far its box and landmarks land
from the labels. This separates "the earlier stages lost the face" from
"L_Net cannot place it". Commands and results: docs/study_log.md.
"""
import argparse
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.config import DictAction
from mmengine.dataset import pseudo_collate

import mcfa_mm  # noqa: F401  (registers the components)
from mcfa_mm.models.detectors import (CascadeFaceFinder, calibrate_boxes,
                                      decode_landmarks, square_boxes)
from mcfa_mm.utils.benchmarking import faces_found, write_report
from mmdet.apis import init_detector
from mmdet.registry import DATASETS
from mmdet.structures.bbox import (bbox_overlaps, bbox_rescale,
                                   get_box_tensor)

STAGES = ('s', 'm', 'l')
#: IoU bands of L_Net's boxes with their best face: far from any face (the
#: paper's non-faces), near misses (MTCNN's non-faces), part faces, found.
IOU_BANDS = ((0.0, 0.001), (0.001, 0.3), (0.3, 0.5), (0.5, 1.01))


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a cascade-mode test config')
    parser.add_argument('checkpoint')
    parser.add_argument('--max-images', type=int, default=None,
                        help='the first N test images (default: all)')
    parser.add_argument('--iou', type=float, default=0.5,
                        help='IoU at which a box finds a labelled face')
    parser.add_argument('--out', default=None, help='JSON results file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        default={}, help='config overrides')
    return parser.parse_args(argv)


def l_net_on_labels(finder: CascadeFaceFinder, image: torch.Tensor,
                    gt_boxes: torch.Tensor,
                    gt_points: Optional[torch.Tensor]) -> Dict[str, list]:
    """L_Net run on the squared labelled boxes of one image: per face,
    ``face_prob``, ``face_prob_2x`` (for a window of twice the side, same
    centre), ``box_iou`` (L's calibrated box against the label) and, with
    landmark labels, ``nme`` (%, inter-ocular)."""
    windows = square_boxes(gt_boxes.float())
    count = len(windows)
    # the labelled windows and their doubles in one forward pass
    both = finder.stage_outputs(
        image, torch.cat([windows, bbox_rescale(windows, 2.0)]), 3)
    outs = {k: v[:count] for k, v in both.items()}
    result = dict(
        face_prob=finder.face_prob(outs).tolist(),
        face_prob_2x=finder.face_prob(
            {k: v[count:] for k, v in both.items()}).tolist())
    offsets = outs.get('bbox', torch.zeros_like(windows))
    calibrated = calibrate_boxes(windows, offsets)
    result['box_iou'] = bbox_overlaps(calibrated, gt_boxes.float(),
                                      is_aligned=True).tolist()
    if gt_points is not None and 'landmark' in outs:
        points = decode_landmarks(windows, outs['landmark'])
        inter_ocular = (gt_points[:, 0] - gt_points[:, 1]).norm(dim=-1)
        error = (points - gt_points).norm(dim=-1).mean(-1)
        valid = inter_ocular > 0
        result['nme'] = (error[valid] / inter_ocular[valid] * 100).tolist()
    return result


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    model = init_detector(args.config, args.checkpoint, device='cpu',
                          cfg_options=args.cfg_options)
    # the finder hands back the boxes that leave S_Net, M_Net and L_Net
    finder = CascadeFaceFinder(
        model, dict(model.test_cfg, return_stage_boxes=True))
    dataset = DATASETS.build(model.cfg.test_dataloader.dataset)
    num_images = min(args.max_images or len(dataset), len(dataset))
    found, num_boxes = dict.fromkeys(STAGES, 0), dict.fromkeys(STAGES, 0)
    num_faces = num_with_faces = top_box_found = 0
    on_labels: Dict[str, list] = dict(
        face_prob=[], face_prob_2x=[], box_iou=[], nme=[])
    l_box_ious: List[float] = []
    with torch.no_grad():
        for index in range(num_images):
            data = model.data_preprocessor(
                pseudo_collate([dataset[index]]), False)
            sample = data['data_samples'][0]
            height, width = sample.metainfo['img_shape']
            image = data['inputs'][0][:, :height, :width].float()
            gt_boxes = get_box_tensor(sample.gt_instances.bboxes).float()
            if len(gt_boxes) == 0:
                continue
            num_faces += len(gt_boxes)
            num_with_faces += 1
            stage_boxes = finder.predict(
                image[None], [sample.metainfo])[0].metainfo['stage_boxes']
            for name, boxes in stage_boxes.items():
                num_boxes[name] += len(boxes)
                found[name] += faces_found(gt_boxes, boxes, args.iou)
                if name == 'l' and len(boxes):  # best first
                    overlaps = bbox_overlaps(gt_boxes, boxes)
                    l_box_ious.extend(overlaps.max(0).values.tolist())
                    top_box_found += int(overlaps[:, 0].max() >= args.iou)
            points = sample.gt_instances.get('keypoints')
            for key, values in l_net_on_labels(
                    finder, image, gt_boxes,
                    None if points is None else torch.as_tensor(
                        points, dtype=torch.float32)).items():
                on_labels[key].extend(values)
    threshold = finder.cfg['thresholds'][2]
    report = dict(
        config=args.config, checkpoint=args.checkpoint,
        images=num_images, faces=num_faces, iou=args.iou,
        recall={k: round(v / max(num_faces, 1), 4)
                for k, v in found.items()},
        boxes_per_image={k: round(v / max(num_images, 1), 2)
                         for k, v in num_boxes.items()},
        l_boxes_by_iou={
            f'{low:g}-{min(high, 1):g}': _mean(
                [low <= v < high for v in l_box_ious])
            for low, high in IOU_BANDS
        },
        # of the photos with a face: is L_Net's top-scoring box one?
        top_box_found=round(top_box_found / max(num_with_faces, 1), 4),
        l_net_on_labelled_boxes=dict(
            face_prob_mean=_mean(on_labels['face_prob']),
            face_prob_2x_window_mean=_mean(on_labels['face_prob_2x']),
            above_threshold=_mean(
                [p > threshold for p in on_labels['face_prob']]),
            calibrated_box_iou_mean=_mean(on_labels['box_iou']),
            nme_mean=_mean(on_labels['nme']),
            nme_median=(round(float(np.median(on_labels['nme'])), 4)
                        if on_labels['nme'] else None)))
    return write_report(report, args.out)


def _mean(values: list) -> Optional[float]:
    return round(float(np.mean(values)), 4) if len(values) else None


if __name__ == '__main__':
    main()
