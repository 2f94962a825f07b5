"""mcfa-faces: find every face of photos: box, score, 5 landmarks and
attributes.

Examples::

    # the shipped model (configs/mcfa/metafile.yml), in cascade mode:
    # every face of whole photos
    mcfa-faces photo.jpg
    mcfa-faces photos/ --out-dir outputs
    mcfa-faces 'photos/**/*.jpg'
    # another model; --mode crop when each image is one face crop
    mcfa-faces face.jpg CONFIG CHECKPOINT --mode crop

For each image it prints the faces and writes the annotated picture to
``OUT_DIR/vis/`` (longer side at most ``--vis-max-side``, 1280 px) and one
JSON line (``image``, ``faces`` or ``error``) to ``OUT_DIR/faces.jsonl``,
in the photo's own pixels. A folder is searched recursively for image files
(by extension). An image that cannot be read is reported on one line and
skipped; a summary counts images, faces and failures.
``tools/demo/image_demo.py`` is the same command.

Exit status:
    0: every image was processed (with or without faces).
    1: some images failed (each is named on its own line); the others
       were processed.
    2: usage or model error: bad arguments, nothing matched the input, or
       the model could not be loaded.
"""
import glob
import json
import os
import os.path as osp
import sys
from argparse import ArgumentParser, Namespace
from typing import List, Optional, Sequence, Tuple

from mmengine.utils import ProgressBar

from ..datasets.metainfo import LANDMARK_NAMES
from ..utils import FaceImageError
from .cli_args import (MODEL_LOAD_ERRORS, add_model_args, add_prediction_args,
                       face_inferencer_from_args)
from .face_inferencer import list_images

EXIT_OK, EXIT_FAILED_IMAGES, EXIT_USAGE = 0, 1, 2


def parse_args(argv: Optional[Sequence[str]] = None,
               prog: Optional[str] = None) -> Namespace:
    """Command-line arguments.

    Args:
        argv (Sequence[str], optional): Arguments; ``sys.argv[1:]`` if None.
        prog (str, optional): The command's name in the usage line.

    Returns:
        Namespace: ``inputs``, ``out_dir``, ``out_file`` and the arguments
        of :func:`add_model_args` and :func:`add_prediction_args`.
    """
    parser = ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument(
        'inputs', help='an image file, a folder of images, or a glob pattern')
    add_model_args(parser)
    parser.add_argument(
        '--out-dir',
        default='outputs',
        help='annotated pictures go to OUT_DIR/vis, JSON '
        'lines to OUT_DIR/faces.jsonl')
    parser.add_argument(
        '--out-file',
        help='where to write the picture of a single image (default: '
        'OUT_DIR/vis/<image name>)')
    add_prediction_args(
        parser,
        mode_help="cascade: find every face of whole photos; crop: each "
        "image is one face crop (default: cascade for the shipped model, "
        "the config's test_cfg.mode for a config file)",
        topk=5,
        topk_help='attributes printed and drawn per face')
    return parser.parse_args(argv)


def find_images(inputs: str) -> Tuple[List[str], str]:
    """The image paths an input names, and the folder they are relative to.

    Args:
        inputs (str): A file (existing or not: a missing file is reported
            when read), a folder (image files below it, by extension,
            recursively) or a glob pattern (every matching file).

    Returns:
        tuple[list[str], str]: Sorted paths and their common folder.
    """
    if osp.isdir(inputs):
        return list_images(inputs), inputs
    if glob.has_magic(inputs):
        paths = sorted(
            p for p in glob.glob(inputs, recursive=True) if osp.isfile(p))
        base = osp.commonpath([osp.dirname(osp.abspath(p))
                               for p in paths]) if paths else '.'
        return paths, base
    return [inputs], osp.dirname(inputs)


def describe_faces(prediction: dict, score_thr: float,
                   topk: int) -> List[dict]:
    """The faces above ``score_thr``, best first, as the JSON lines hold
    them.

    Args:
        prediction (dict): One prediction of
            :meth:`FaceInferencer.pred2dict` (faces best first).
        score_thr (float): Minimum face score.
        topk (int): Most likely attributes listed per face.

    Returns:
        list[dict]: ``bbox``, ``score``, ``keypoints``, ``attributes`` (the
        ``topk`` most likely, ``[name, probability]`` pairs) and
        ``attribute_decisions`` (``{name: present}`` at the model's
        thresholds) of each face.
    """
    faces = []
    for face in prediction['faces']:
        if face['score'] <= score_thr:
            continue
        scores = face.get('attribute_scores', {})
        top = sorted(scores.items(), key=lambda item: -item[1])[:topk]
        faces.append(
            dict(
                bbox=[round(v, 1) for v in face['bbox']],
                score=round(face['score'], 4),
                keypoints=[[round(v, 1) for v in point]
                           for point in face.get('keypoints', [])],
                attributes=[[name, round(p, 4)] for name, p in top],
                attribute_decisions=face.get('attribute_decisions', {})))
    return faces


def format_faces(path: str, faces: List[dict]) -> str:
    """Human-readable lines for the faces of one image.

    Args:
        path (str): The image.
        faces (list[dict]): Output of :func:`describe_faces`.

    Returns:
        str: One header line, then four lines per face: box and score,
        landmarks, the most likely attributes, the attributes decided
        present.
    """
    lines = [f'{path}: {len(faces)} face{"" if len(faces) == 1 else "s"}']
    for index, face in enumerate(faces, start=1):
        box = ', '.join(f'{v:.1f}' for v in face['bbox'])
        points = ' '.join(
            f'{name} ({x:.1f}, {y:.1f})'
            for name, (x, y) in zip(LANDMARK_NAMES, face['keypoints']))
        attributes = ', '.join(f'{name} {p:.2f}'
                               for name, p in face['attributes'])
        present = ', '.join(
            name
            for name, yes in face['attribute_decisions'].items() if yes) or '-'
        lines += [
            f'  face {index}: box [{box}] score {face["score"]:.3f}',
            f'    landmarks: {points}', f'    attributes: {attributes}',
            f'    present: {present}'
        ]
    return '\n'.join(lines)


def one_line(error: Exception) -> str:
    """An error message on one line (decoder messages span several)."""
    text = ' '.join(str(error).split())
    if isinstance(error, FaceImageError):
        return text
    return f'{type(error).__name__}: {text}'


def main(argv: Optional[Sequence[str]] = None,
         prog: Optional[str] = None) -> int:
    """Run the model on every image, print, draw and log the faces.

    Args:
        argv (Sequence[str], optional): Arguments; ``sys.argv[1:]`` if None.
        prog (str, optional): The command's name in the usage line.

    Returns:
        int: ``EXIT_OK``, ``EXIT_FAILED_IMAGES`` (some images failed) or
        ``EXIT_USAGE`` (see the module docstring).
    """
    args = parse_args(argv, prog)
    paths, base = find_images(args.inputs)
    if not paths:
        print(f'error: no images found at {args.inputs!r}', file=sys.stderr)
        return EXIT_USAGE
    if args.out_file and len(paths) > 1:
        print(
            'error: --out-file needs a single image; use --out-dir',
            file=sys.stderr)
        return EXIT_USAGE
    try:
        inferencer = face_inferencer_from_args(args)
    except MODEL_LOAD_ERRORS as error:
        print(
            f'error: cannot load the model: {one_line(error)}',
            file=sys.stderr)
        return EXIT_USAGE

    os.makedirs(args.out_dir, exist_ok=True)
    json_file = osp.join(args.out_dir, 'faces.jsonl')
    # the bar goes to stderr, so that stdout holds only the faces
    bar = ProgressBar(len(paths), file=sys.stderr) if len(paths) > 1 \
        else None
    num_faces, failures = 0, []
    with open(json_file, 'w') as log:
        for path in paths:
            out_file = args.out_file or osp.join(
                args.out_dir, 'vis', osp.relpath(path, base or '.'))
            try:
                # one image per call: a bad file is reported and skipped
                result = inferencer(
                    path,
                    out_file=out_file,
                    pred_score_thr=args.score_thr,
                    topk=args.topk,
                    attr_thr=args.attr_thr,
                    vis_max_side=args.vis_max_side)
            except Exception as error:  # report, skip, go on
                message = one_line(error)
                if not isinstance(error, FaceImageError):
                    message = f'{path}: {message}'
                failures.append(path)
                _print_line(f'FAILED {message}', bar)
                log.write(json.dumps(dict(image=path, error=message)) + '\n')
            else:
                faces = describe_faces(result['predictions'][0],
                                       args.score_thr, args.topk)
                num_faces += len(faces)
                _print_line(format_faces(path, faces), bar)
                log.write(
                    json.dumps(dict(image=path, vis=out_file, faces=faces)) +
                    '\n')
            if bar is not None:
                bar.update()
    if bar is not None:
        sys.stderr.write('\n')
    print(f'{len(paths)} images, {num_faces} faces, {len(failures)} failed; '
          f'pictures in {osp.join(args.out_dir, "vis")}, JSON lines in '
          f'{json_file}')
    return EXIT_FAILED_IMAGES if failures else EXIT_OK


def _print_line(text: str, bar: Optional[ProgressBar]) -> None:
    """Print to stdout, first clearing the progress bar's terminal line."""
    if bar is not None and sys.stderr.isatty():
        sys.stderr.write('\r\033[K')
    print(text, flush=True)


def console_main() -> None:
    """Entry point of the ``mcfa-faces`` console command."""
    sys.exit(main(prog='mcfa-faces'))


__all__ = [
    'main', 'console_main', 'parse_args', 'find_images', 'describe_faces',
    'format_faces', 'EXIT_OK', 'EXIT_FAILED_IMAGES', 'EXIT_USAGE'
]
