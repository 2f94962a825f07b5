"""In-the-wild web faces with face box and 5 landmarks (no attributes)."""
import os.path as osp
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
    the one labelled face per image is annotated. There is no val
    partition: ``val_fraction=0.1`` carves one out of train, keeping the
    faces and rotated copies of one photo together (:meth:`group_key`).

    Args:
        data_prefix (dict): Image folder. Defaults to
            ``dict(img='Img/img_wild/')``.
        attr_file (str, optional): Defaults to None (no attributes).
        identity_file (str, optional): Defaults to None.
        **kwargs: Other arguments of :class:`CelebADataset` (box and
            landmark files default to the CelebA names).
    """

    def group_key(self, img_id: str, identity: Optional[int]) -> str:
        """The photo an image was cut from (kept whole by a carved val).

        ``<n>_<k>_0.jpg`` is face ``k`` of photo ``n``; ``_<angle>_<n>_<k>``
        is a rotated copy of photo ``n`` (160 x 216 kind).

        Args:
            img_id (str): Image id.
            identity (int, optional): Unused: the wild set has none.

        Returns:
            str: ``'photo:<n>'`` or ``'rotated:<n>'``.
        """
        fields = osp.splitext(osp.basename(img_id))[0].split('_')
        if img_id.startswith('_') and len(fields) >= 4:
            return f'rotated:{fields[2]}'
        return f'photo:{fields[0]}'

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
