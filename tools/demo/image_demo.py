"""Find every face of photos: box, score, 5 landmarks and attributes.

The ``mcfa-faces`` command of an installed mcfa-mm, run from a checkout;
see :mod:`mcfa_mm.apis.face_cli` for everything it does.

Examples::

    # the model shipped in checkpoints/ (configs/mcfa/metafile.yml), in
    # cascade mode: every face of whole photos
    python tools/demo/image_demo.py photo.jpg
    python tools/demo/image_demo.py photos/ --out-dir outputs
    python tools/demo/image_demo.py 'photos/**/*.jpg'
    # another model; --mode crop when each image is one face crop
    python tools/demo/image_demo.py face.jpg CONFIG CHECKPOINT --mode crop

For each image it prints the faces and writes the annotated picture to
``OUT_DIR/vis/`` (longer side at most ``--vis-max-side``, 1280 px) and one
JSON line (``image``, ``faces`` or ``error``) to ``OUT_DIR/faces.jsonl``;
exit status 0, 1 (some images failed) or 2 (usage or model error), as
:mod:`mcfa_mm.apis.face_cli` documents.
"""
import sys

from mcfa_mm.apis.face_cli import main  # also registers the components

__all__ = ['main']

if __name__ == '__main__':
    sys.exit(main())
