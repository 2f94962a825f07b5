"""In-the-wild web faces with face box and 5 landmarks (no attributes)."""
from typing import Optional

from mmdet.registry import DATASETS
from .celeba import CelebADataset


@DATASETS.register_module()
class WildFaceDataset(CelebADataset):
    """Web photos cut around one face, with its box and 5 landmarks.

    Layout under ``data_root``::

        Img/img_wild/<file>.jpg               400 x 400 or 160 x 216 images
        Anno/list_bbox_celeba.txt             x_1 y_1 width height
        Anno/list_landmarks_celeba.txt        5 (x, y) points
        Eval/list_eval_partition.txt          0 train / 2 test (no val)

    There are no attributes (``attributes`` is ``None`` in every instance
    and ``metainfo['attribute_names']`` is empty) and no identities. Only
    the one labelled face per image is annotated.

    Args:
        data_prefix (dict): Image folder. Defaults to
            ``dict(img='Img/img_wild/')``.
        attr_file (str, optional): Defaults to None (no attributes).
        identity_file (str, optional): Defaults to None.
        **kwargs: Other arguments of :class:`CelebADataset` (box and
            landmark files default to the CelebA names).
    """

    def __init__(self,
                 data_prefix: dict = dict(img='Img/img_wild/'),
                 attr_file: Optional[str] = None,
                 identity_file: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(
            data_prefix=data_prefix,
            attr_file=attr_file,
            identity_file=identity_file,
            **kwargs)
