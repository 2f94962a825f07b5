"""Export a trained MCFA to ONNX (crop-mode network and S_Net's map).

Examples::

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT \
        --out-dir work_dirs/onnx --verify
    # the shipped model (configs/mcfa/metafile.yml)
    python tools/deployment/export_onnx.py --out-dir work_dirs/onnx

Writes ``mcfa_crop.onnx`` (a BGR face crop resized to the network input ->
``score``, ``bbox``, ``keypoints`` as fractions of the crop, ``attributes``
probabilities), ``mcfa_s_net.onnx`` (a BGR image -> S_Net's ``face_prob``
and ``bbox`` maps, the cascade's first stage) and ``mcfa_onnx.json``
(input size, S_Net window and stride, attribute names, cascade settings).
Both graphs take raw pixels (0-255) and have a dynamic batch axis; see
:mod:`mcfa_mm.apis.onnx_export`.

Exit status: 0 exported (and verified with ``--verify``); 1 ``--verify``
found a difference above ``--atol``; 2 usage or model error.
"""
import sys
from argparse import ArgumentParser, Namespace
from typing import Dict, Optional, Sequence

import numpy as np
import torch

import mcfa_mm  # noqa: F401  (registers the MCFA components)
from mcfa_mm.apis import CropFaceNet, SNetFaceMap, export_onnx
from mcfa_mm.apis.cli_args import (MODEL_LOAD_ERRORS, add_model_args,
                                   load_face_model)


def parse_args(argv: Optional[Sequence[str]] = None) -> Namespace:
    """Command-line arguments.

    Args:
        argv (Sequence[str], optional): Arguments; ``sys.argv[1:]`` if None.

    Returns:
        Namespace: ``config``, ``checkpoint`` (see :func:`add_model_args`),
        ``out_dir``, ``opset``, ``device``, ``verify`` and ``atol``.
    """
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    add_model_args(parser, options=False)
    parser.add_argument('--out-dir', default='work_dirs/onnx',
                        help='folder for the .onnx files')
    parser.add_argument('--opset', type=int, default=17, help='ONNX opset')
    parser.add_argument('--device', default='cpu', help='export device')
    parser.add_argument(
        '--verify', action='store_true',
        help='run both graphs with onnxruntime on random pixels (another '
        'batch size and image size than exported) and compare with PyTorch')
    parser.add_argument('--atol', type=float, default=1e-4,
                        help='largest absolute difference --verify accepts')
    return parser.parse_args(argv)


def verify(model: torch.nn.Module, paths: Dict[str, str],
           seed: int = 0) -> Dict[str, float]:
    """Largest absolute difference of each ONNX output from PyTorch.

    Args:
        model (MCFA): The exported model.
        paths (dict): Output of :func:`export_onnx`.
        seed (int): Seed of the random pixels.

    Returns:
        dict[str, float]: ``{graph/output: max |onnx - torch|}``.
    """
    import onnxruntime
    generator = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    size = model.input_size
    cases = (('crop', CropFaceNet(model), (3, 3, size, size)),
             ('s_net', SNetFaceMap(model), (3, 3, size + 24, 2 * size)))
    diffs = {}
    for key, wrapper, shape in cases:
        pixels = torch.rand(shape, generator=generator) * 255
        session = onnxruntime.InferenceSession(
            paths[key], providers=['CPUExecutionProvider'])
        name = session.get_inputs()[0].name
        outputs = session.run(None, {name: pixels.numpy()})
        with torch.no_grad():
            expected = wrapper.eval()(pixels.to(device))
        for output, got, want in zip(session.get_outputs(), outputs,
                                     expected):
            diffs[f'{key}/{output.name}'] = float(
                np.abs(got - want.cpu().numpy()).max())
    return diffs


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Export, optionally verify, print the written files.

    Args:
        argv (Sequence[str], optional): Arguments; ``sys.argv[1:]`` if None.

    Returns:
        int: 0, 1 (``--verify`` found a difference above ``--atol``) or 2
        (see the module docstring).
    """
    args = parse_args(argv)
    try:
        # ONNX graphs are fp32: the checkpoint's fp32 weights, BatchNorm
        # folded, not the bf16 copy a bf16 config predicts with
        model = load_face_model(args, predict_only=False).fuse_conv_bn()
        # the export fails with the same kinds of errors
        paths = export_onnx(model, args.out_dir, args.opset)
    except MODEL_LOAD_ERRORS as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    for key, path in paths.items():
        print(f'{key}: {path}')
    if not args.verify:
        return 0
    diffs = verify(model, paths)
    for name, diff in diffs.items():
        print(f'max |onnxruntime - pytorch| {name}: {diff:.2e}')
    worst = max(diffs.values())
    if worst > args.atol:
        print(f'error: difference {worst:.2e} above --atol {args.atol}',
              file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
