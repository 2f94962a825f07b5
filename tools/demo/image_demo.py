"""Find faces, landmarks and attributes in one image and draw them.

Example::

    python tools/demo/image_demo.py face.jpg CONFIG CHECKPOINT \
        --mode crop --out-file outputs/face.jpg
"""
import json
import os
import os.path as osp
from argparse import ArgumentParser, Namespace
from typing import List, Sequence

import mmcv
import torch

from mmdet.apis import init_detector
from mmdet.registry import VISUALIZERS

import mcfa_mm  # noqa: F401  (registers the MCFA components)
from mcfa_mm.apis import inference_faces, top_attributes
from mcfa_mm.datasets import CELEBA_ATTRIBUTES


def parse_args() -> Namespace:
    """Command-line arguments.

    Returns:
        Namespace: The parsed arguments.
    """
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('img', help='image file')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out-file',
        help='where to write the drawing (default: outputs/<image name>)')
    parser.add_argument(
        '--device',
        default='cuda:0' if torch.cuda.is_available() else 'cpu',
        help='device used for inference')
    parser.add_argument(
        '--mode',
        choices=['crop', 'cascade'],
        help='crop: the image is one face crop; cascade: find every face in '
        'a whole photo (default: the config\'s test_cfg.mode)')
    parser.add_argument(
        '--score-thr', type=float, default=0.3, help='face score threshold')
    parser.add_argument(
        '--attr-thr',
        type=float,
        default=0.5,
        help='attribute probability above which an attribute is drawn')
    parser.add_argument(
        '--topk', type=int, default=5, help='attributes printed per face')
    return parser.parse_args()


def attribute_names(dataset_meta: dict, num: int) -> List[str]:
    """Attribute names of the checkpoint, CelebA's, or ``attr_{i}``.

    Args:
        dataset_meta (dict): ``model.dataset_meta``.
        num (int): Number of attribute scores.

    Returns:
        list[str]: ``num`` names.
    """
    names = (dataset_meta or {}).get('attribute_names')
    if names is not None and len(names) == num:
        return list(names)
    if num == len(CELEBA_ATTRIBUTES):
        return list(CELEBA_ATTRIBUTES)
    return [f'attr_{i}' for i in range(num)]


def describe_faces(result, names: Sequence[str], score_thr: float,
                   topk: int) -> List[dict]:
    """The faces above ``score_thr`` as plain dicts, best first.

    Args:
        result (DetDataSample): Output of :func:`inference_faces`.
        names (Sequence[str]): Attribute names.
        score_thr (float): Minimum face score.
        topk (int): Attributes per face.

    Returns:
        list[dict]: ``bbox``, ``score``, ``keypoints`` and ``attributes``
        (``[name, probability]`` pairs) of each face.
    """
    pred = result.pred_instances.cpu()
    pred = pred[pred.scores > score_thr]
    pred = pred[pred.scores.argsort(descending=True)]
    result = result.clone()
    result.pred_instances = pred
    faces = []
    tops = top_attributes(result, names, topk) if len(pred) else []
    for i, top in enumerate(tops):
        faces.append(
            dict(
                bbox=[round(v, 1) for v in pred.bboxes[i].tolist()],
                score=round(float(pred.scores[i]), 4),
                keypoints=[[round(v, 1) for v in point]
                           for point in pred.keypoints[i].tolist()],
                attributes=[[name, round(p, 4)] for name, p in top]))
    return faces


def main() -> None:
    """Run the model on the image, draw and print the faces."""
    args = parse_args()
    model = init_detector(args.config, args.checkpoint, device=args.device)
    # Read once: the same pixels go to the model (BGR) and the drawing (RGB).
    image = mmcv.imread(args.img)
    result = inference_faces(model, image, mode=args.mode)

    num_attributes = result.pred_instances.attribute_scores.shape[-1]
    names = attribute_names(model.dataset_meta, num_attributes)
    visualizer = VISUALIZERS.build(
        dict(
            type='FaceVisualizer',
            name='mcfa_image_demo',
            attr_topk=args.topk,
            attr_score_thr=args.attr_thr))
    dataset_meta = dict(model.dataset_meta or {})
    if 'attribute_names' not in dataset_meta:
        # No MCFA meta in the checkpoint: mmdet fell back to COCO classes.
        dataset_meta['classes'] = ('face', )
    visualizer.dataset_meta = dict(dataset_meta, attribute_names=names)

    out_file = args.out_file or osp.join('outputs', osp.basename(args.img))
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    visualizer.add_datasample(
        'result',
        mmcv.bgr2rgb(image),
        data_sample=result,
        draw_gt=False,
        pred_score_thr=args.score_thr,
        out_file=out_file)

    faces = describe_faces(result, names, args.score_thr, args.topk)
    print(
        json.dumps(
            dict(image=args.img, out_file=out_file, faces=faces), indent=2))


if __name__ == '__main__':
    main()
