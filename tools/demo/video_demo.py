"""Find the faces of a video and write it back with them drawn.

Examples::

    # the shipped model (configs/mcfa/metafile.yml), cascade mode
    python tools/demo/video_demo.py clip.mp4 --out outputs/clip.mp4
    # every 3rd frame: the frames in between carry the last result
    python tools/demo/video_demo.py clip.mp4 --out outputs/clip.mp4 --every 3
    python tools/demo/video_demo.py clip.mp4 CONFIG CHECKPOINT --out out.mp4

Frames are read with :class:`mmcv.VideoReader` and written, at the input's
frame rate and size, with OpenCV's ``VideoWriter`` (``mp4v``), as
MMDetection's video demo does, drawn by
:meth:`mcfa_mm.apis.FaceInferencer.draw` (OpenCV) at the frame's size.
``--out-json`` writes one JSON line per processed frame (``frame``,
``faces``: ``bbox``, ``score``, ``keypoints`` and ``attribute_decisions``,
in the frame's pixels).

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

import mcfa_mm  # noqa: F401  (registers the components)
from mcfa_mm.apis.cli_args import (MODEL_LOAD_ERRORS, add_model_args,
                                   add_prediction_args,
                                   face_inferencer_from_args)

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
        '--every',
        type=int,
        default=1,
        help='run the model on every N-th frame; the others are drawn '
        'with the last result')
    parser.add_argument(
        '--out-json', help='write one JSON line per processed frame here')
    add_prediction_args(
        parser,
        mode_help="default: cascade for the shipped model, the config's "
        "test_cfg.mode for a config file",
        topk=3,
        topk_help='attributes drawn per face',
        vis_max_side=False)
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
        inferencer = face_inferencer_from_args(args)
    except MODEL_LOAD_ERRORS as error:
        return _error(f'cannot load the model: {error}')

    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    writer = cv2.VideoWriter(args.out, cv2.VideoWriter_fourcc(*'mp4v'),
                             reader.fps or 25, reader.resolution)
    if not writer.isOpened():
        return _error(f'{args.out}: cannot write a video here')
    log = open(args.out_json, 'w') if args.out_json else None
    bar = ProgressBar(reader.frame_cnt, file=sys.stderr)
    pred, num_frames, num_processed = None, 0, 0
    try:
        for index, frame in enumerate(reader):
            if index % args.every == 0:
                pred = inferencer(
                    frame, return_datasamples=True)['predictions'][0]
                num_processed += 1
                if log is not None:
                    faces = [
                        face for face in inferencer.pred2dict(pred)['faces']
                        if face['score'] > args.score_thr
                    ]
                    for face in faces:
                        # the decisions, not all 40 probabilities
                        face.pop('attribute_scores', None)
                    log.write(
                        json.dumps(dict(frame=index, faces=faces)) + '\n')
            # the video keeps the input's frame size: no --vis-max-side
            writer.write(
                inferencer.draw(
                    frame,
                    pred,
                    args.score_thr,
                    args.topk,
                    args.attr_thr,
                    max_side=None))
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
