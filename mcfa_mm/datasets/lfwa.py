"""LFWA: LFW faces with attributes, face box and 5 landmarks."""
from typing import Optional

from mmdet.registry import DATASETS
from .celeba import CelebADataset


@DATASETS.register_module()
class LFWADataset(CelebADataset):
    """LFW faces (80 x 80) with LFWA attributes, box and landmarks.

    The only set with all three MCFA tasks on the same image. Layout under
    ``data_root``::

        Img/lfw_80/<Person>/<Person>_NNNN.jpg   80 x 80 images
        Anno/list_attr_lfwa.txt                 40 attributes (1 / -1)
        Anno/list_bbox_lfwa.txt                 x_1 y_1 width height
        Anno/list_landmarks_lfwa.txt            5 (x, y) points
        Anno/identity_lfwa.txt                  one image per person
        Eval/list_eval_partition.txt            0 train / 2 test (no val)

    Image ids are paths relative to ``Img/lfw_80/`` (they contain one
    ``/``). There is no val partition: ``val_fraction=0.1`` carves an
    identity-disjoint one out of train (the configs do).

    Args:
        data_prefix (dict): Image folder. Defaults to
            ``dict(img='Img/lfw_80/')``.
        attr_file (str, optional): Defaults to the LFWA attribute file.
        bbox_file (str, optional): Defaults to the LFWA box file.
        landmark_file (str, optional): Defaults to the LFWA landmark file.
        identity_file (str, optional): Defaults to the LFWA identity file.
        **kwargs: Other arguments of :class:`CelebADataset`.
    """

    def __init__(self,
                 data_prefix: dict = dict(img='Img/lfw_80/'),
                 attr_file: Optional[str] = 'Anno/list_attr_lfwa.txt',
                 bbox_file: Optional[str] = 'Anno/list_bbox_lfwa.txt',
                 landmark_file: Optional[
                     str] = 'Anno/list_landmarks_lfwa.txt',
                 identity_file: Optional[str] = 'Anno/identity_lfwa.txt',
                 **kwargs) -> None:
        super().__init__(
            data_prefix=data_prefix,
            attr_file=attr_file,
            bbox_file=bbox_file,
            landmark_file=landmark_file,
            identity_file=identity_file,
            **kwargs)
