"""Find the faces of a video and write it back with them drawn.

Examples::

    # the shipped model (configs/mcfa/metafile.yml), cascade mode
    python tools/demo/video_demo.py clip.mp4 --out outputs/clip.mp4
    # every 3rd frame: the frames in between carry the last result
    python tools/demo/video_demo.py clip.mp4 --out outputs/clip.mp4 --every 3
    python tools/demo/video_demo.py clip.mp4 CONFIG CHECKPOINT --out out.mp4

Frames are read with :class:`mmcv.VideoReader` and written, at the input's
frame rate and size, with OpenCV's ``VideoWriter`` (``mp4v``), as
MMDetection's video demo does. ``--out-json`` writes one JSON line per
processed frame (``frame``, ``faces``).

Exit status:
    0: the video was written.
    2: usage, video or model error (bad arguments, unreadable input video,
       output not writable, model not loadable).
"""
import json
import os
import os.path as osp
import sys
from argparse import ArgumentParser, Namespace
from typing import Optional, Sequence

import cv2
import mmcv
from mmengine.utils import ProgressBar

import mcfa_mm  # noqa: F401  (registers the MCFA components)
from mcfa_mm.apis import inference_faces
from mcfa_mm.utils.face_model_args import (MODEL_LOAD_ERRORS, add_model_args,
                                           add_prediction_args,
                                           build_face_visualizer,
                                           load_face_model)

EXIT_OK, EXIT_USAGE = 0, 2


def parse_args(argv: Optional[Sequence[str]] = None) -> Namespace:
    """Command-line arguments.

    Args:
        argv (Sequence[str], optional): Arguments; ``sys.argv[1:]`` if None.

    Returns:
        Namespace: ``video``, ``out``, ``every`` (at least 1), ``out_json``
        and the arguments of :func:`add_model_args` and
        :func:`add_prediction_args`.
    """
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('video', help='input video file')
    add_model_args(parser)
    parser.add_argument('--out', required=True, help='output video (.mp4)')
    parser.add_argument(
        '--every', type=int, default=1,
        help='run the model on every N-th frame; the others are drawn '
        'with the last result')
    parser.add_argument('--out-json',
                        help='write one JSON line per processed frame here')
    add_prediction_args(
        parser,
        mode_help="default: cascade for the shipped model, the config's "
        "test_cfg.mode for a config file",
        topk=3, topk_help='attributes drawn per face')
    args = parser.parse_args(argv)
    if args.every < 1:
        parser.error(f'--every must be >= 1, got {args.every}')
    return args


def _error(message: str) -> int:
    print(f'error: {message}', file=sys.stderr)
    return EXIT_USAGE


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Read, detect, draw and write every frame.

    Args:
        argv (Sequence[str], optional): Arguments; ``sys.argv[1:]`` if None.

    Returns:
        int: ``EXIT_OK`` or ``EXIT_USAGE`` (see the module docstring).
    """
    args = parse_args(argv)
    if not osp.isfile(args.video):
        return _error(f'{args.video}: video file not found')
    reader = mmcv.VideoReader(args.video)
    if not reader.opened or reader.width == 0:
        return _error(f'{args.video}: not a video OpenCV can read')
    try:
        model = load_face_model(args)
    except MODEL_LOAD_ERRORS as error:
        return _error(f'cannot load the model: {error}')
    visualizer = build_face_visualizer(model, 'video_demo', args.topk,
                                       args.attr_thr)

    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    writer = cv2.VideoWriter(args.out, cv2.VideoWriter_fourcc(*'mp4v'),
                             reader.fps or 25, reader.resolution)
    if not writer.isOpened():
        return _error(f'{args.out}: cannot write a video here')
    log = open(args.out_json, 'w') if args.out_json else None
    bar = ProgressBar(reader.frame_cnt, file=sys.stderr)
    result, num_frames, num_processed = None, 0, 0
    try:
        for index, frame in enumerate(reader):
            if index % args.every == 0:
                result = inference_faces(model, frame)
                num_processed += 1
                if log is not None:
                    pred = result.pred_instances.cpu()
                    keep = pred.scores > args.score_thr
                    log.write(json.dumps(dict(
                        frame=index,
                        faces=[dict(bbox=b, score=s, keypoints=k)
                               for b, s, k in zip(
                                   pred.bboxes[keep].tolist(),
                                   pred.scores[keep].tolist(),
                                   pred.keypoints[keep].tolist())])) + '\n')
            visualizer.add_datasample(
                'frame', mmcv.bgr2rgb(frame), data_sample=result,
                draw_gt=False, pred_score_thr=args.score_thr)
            writer.write(mmcv.rgb2bgr(visualizer.get_image()))
            num_frames += 1
            bar.update()
    finally:
        writer.release()
        if log is not None:
            log.close()
    sys.stderr.write('\n')
    print(f'{num_frames} frames, {num_processed} processed; video in '
          f'{args.out}')
    return EXIT_OK


if __name__ == '__main__':
    sys.exit(main())
