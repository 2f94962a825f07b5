"""In-the-wild web faces with face box and 5 landmarks (no attributes)."""
import hashlib
import os
import os.path as osp
from typing import Dict, Optional

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
    faces of one photo and copies of one file together (:meth:`group_key`).

    Args:
        data_prefix (dict): Image folder. Defaults to
            ``dict(img='Img/img_wild/')``.
        attr_file (str, optional): Defaults to None (no attributes).
        identity_file (str, optional): Defaults to None.
        **kwargs: Other arguments of :class:`CelebADataset` (box and
            landmark files default to the CelebA names).
    """

    def group_key(self, img_id: str, identity: Optional[int]) -> str:
        """The group of images a carved val split keeps whole.

        Two images are in one group when their files are byte for byte
        the same (the set holds copies under different names) or when
        they are faces of one photo (``<n>_<k>_0.jpg`` is face ``k`` of
        photo ``n``), and so on transitively. The ``_<angle>_<n>_<k>``
        files of one ``n`` are *not* grouped: they show different people.

        Args:
            img_id (str): Image id.
            identity (int, optional): Unused: the wild set has none.

        Returns:
            str: The group's smallest key, ``'photo:<n>'`` or
            ``'content:<sha1>'``.
        """
        if getattr(self, '_groups', None) is None:
            self._groups = content_groups(self.data_prefix['img'])
        return self._groups[img_id]

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


def content_groups(img_dir: str) -> Dict[str, str]:
    """Group the images of a folder by content and by photo.

    Args:
        img_dir (str): The image folder.

    Returns:
        dict[str, str]: ``{file name: group}``, the group being the
        smallest of the keys (``'content:<sha1>'``, ``'photo:<n>'``) joined
        through shared files or photos.
    """
    parent: Dict[str, str] = {}

    def find(key: str) -> str:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(a: str, b: str) -> None:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)

    contents: Dict[str, str] = {}
    for name in sorted(os.listdir(img_dir)):
        with open(osp.join(img_dir, name), 'rb') as file:
            contents[name] = 'content:' + hashlib.sha1(
                file.read()).hexdigest()
        find(contents[name])
        if not name.startswith('_'):
            union(contents[name], f"photo:{name.split('_')[0]}")
    return {name: find(content) for name, content in contents.items()}
