"""Non-face crops from a model's own false positives (MTCNN's hard
negatives), read from the file ``tools/misc/mine_hard_negatives.py`` writes."""
import functools
from typing import Dict, List, Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmdet.registry import TRANSFORMS
from ..metainfo import NON_FACE
from .mining import crop_results, select_instances


@functools.lru_cache(maxsize=8)
def read_negatives_file(path: str) -> Dict[str, np.ndarray]:
    """Parse a negatives file: ``<image id> x1 y1 x2 y2 score`` per line.

    Args:
        path (str): The file.

    Returns:
        dict[str, np.ndarray]: ``{image id: (K, 5) boxes and scores}``.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: A malformed row; the message names the file and the
            1-based line.
    """
    table: Dict[str, List[List[float]]] = {}
    with open(path) as file:
        for number, line in enumerate(file, start=1):
            fields = line.split()
            if not fields:
                continue
            try:
                if len(fields) != 6:
                    raise ValueError(f'expected 6 fields, got {len(fields)}')
                values = [float(v) for v in fields[1:]]
                if not (values[2] > values[0] and values[3] > values[1]):
                    raise ValueError('box has no area')
            except ValueError as error:
                raise ValueError(f'{path}, line {number}: {error}: '
                                 f'{line.rstrip()!r}') from error
            table.setdefault(fields[0], []).append(values)
    return {key: np.asarray(rows, np.float32) for key, rows in table.items()}


@TRANSFORMS.register_module()
class HardNegativeCrop(BaseTransform):
    """Crop one of the image's mined false positives as a non-face.

    The square around a randomly chosen false positive of the image (its
    long side, centred; padded with zeros where it leaves the image, as
    :class:`MineFaceSample` pads) becomes a non-face sample: no instances,
    ``face_label`` 0. An image without mined negatives returns None, so
    that the dataset draws another image (MMEngine's refetch idiom): put
    this transform in a source of its own (see the hard-negative config).

    Required Keys:

    - img
    - img_id
    - crop_offset (optional)

    Modified Keys:

    - img, img_shape
    - every per-instance key: emptied

    Added Keys:

    - face_label (int): 0
    - mining_type (str): 'hard_negative'
    - crop_offset

    Args:
        negatives_file (str): File written by
            ``tools/misc/mine_hard_negatives.py``.
        min_score (float): Use only false positives scored at least this.
            Defaults to 0.
    """

    def __init__(self, negatives_file: str, min_score: float = 0.0) -> None:
        self.negatives_file = negatives_file
        self.min_score = min_score
        # parse now: a missing or malformed file fails at build time
        read_negatives_file(negatives_file)

    def transform(self, results: dict) -> Optional[dict]:
        """Crop a hard negative, or None if the image has none.

        Args:
            results (dict): Result dict from loading.

        Returns:
            dict | None: The non-face sample.
        """
        boxes = read_negatives_file(self.negatives_file).get(
            str(results['img_id']))
        if boxes is not None:
            boxes = boxes[boxes[:, 4] >= self.min_score]
        if boxes is None or not len(boxes):
            return None
        x1, y1, x2, y2 = boxes[np.random.randint(len(boxes))][:4]
        side = max(int(round(max(x2 - x1, y2 - y1))), 1)
        x0 = int(np.floor((x1 + x2) / 2 - side / 2 + 0.5))
        y0 = int(np.floor((y1 + y2) / 2 - side / 2 + 0.5))
        crop_results(results, (x0, y0, x0 + side, y0 + side))
        select_instances(results, np.zeros(0, np.int64))
        results['face_label'] = NON_FACE
        results['mining_type'] = 'hard_negative'
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(negatives_file='
                f'{self.negatives_file!r}, min_score={self.min_score})')
