"""CelebA-format face dataset: one face per image, box/landmarks/attributes.

The data list is built from the official CelebA annotation files (there is no
single ``ann_file``); see ``docs/data_contract.md`` for the data info format.
"""
import logging
import os.path as osp
import zlib
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import print_log
from mmengine.utils import is_abs

from mmdet.datasets import BaseDetDataset
from mmdet.registry import DATASETS
from .annotation_files import (PARTITIONS, check_same_ids, parse_attr_file,
                               parse_bbox_file, parse_identity_file,
                               parse_landmark_file, parse_partition_file,
                               read_attr_names)
from .metainfo import CELEBA_ATTRIBUTES, face_metainfo

def in_carved_val(group: str, fraction: float) -> bool:
    """Whether a group falls in a carved validation split.

    A CRC-32 of the group's name, so the rule is the same on every machine
    and Python version, and does not depend on the order of the files.

    Args:
        group (str): The group's name (see :meth:`CelebADataset.group_key`).
        fraction (float): Fraction of groups that go to validation.

    Returns:
        bool: True for about ``fraction`` of all groups.
    """
    return zlib.crc32(group.encode('utf-8')) % 10000 < fraction * 10000


SPLITS = ('train', 'val', 'test', 'trainval', 'all')


@DATASETS.register_module()
class CelebADataset(BaseDetDataset):
    """Faces annotated in the official CelebA file formats.

    Layout under ``data_root`` (every file may be missing except the one
    that defines the image list; a missing file leaves its field ``None``)::

        Img/img_celeba_crop/<id>          images (``data_prefix['img']``)
        Anno/list_attr_celeba.txt         attributes, 1 / -1
        Anno/list_bbox_celeba.txt         x_1 y_1 width height
        Anno/list_landmarks_celeba.txt    5 (x, y) points
        Anno/identity_CelebA.txt          identity number
        Eval/list_eval_partition.txt      0 train / 1 val / 2 test

    Each data info holds one instance with ``bbox`` (xyxy), ``bbox_label``
    0, ``ignore_flag`` 0, ``keypoints`` (5 x 2) and ``attributes`` (1
    present, 0 absent), plus the image's ``identity`` (or ``None``).
    ``metainfo['attribute_names']`` comes from the attribute file's header.

    Args:
        split (str): ``'train'``, ``'val'``, ``'test'`` (partition 0, 1, 2),
            ``'trainval'`` (0 and 1) or ``'all'``. Defaults to ``'all'``.
        attr_file (str, optional): Attribute file, relative to
            ``data_root`` unless absolute.
        bbox_file (str, optional): Face box file.
        landmark_file (str, optional): Landmark file.
        partition_file (str, optional): Partition file; needed unless
            ``split='all'``.
        identity_file (str, optional): Identity file.
        attributes (Sequence[str], optional): Names of the attributes to
            keep, in the order wanted. Defaults to all of the file's.
        val_fraction (float): For datasets whose partition file has no val
            rows (LFWA, the wild set): the fraction of train that becomes a
            deterministic validation split. Images go to val by a hash of
            their group (:meth:`group_key`: the identity where known, so
            LFWA's val is identity-disjoint), so ``split='train'`` and
            ``split='val'`` never share a person or a photo, whatever the
            order of the files. ``split='trainval'`` is all of partition 0.
            0 (the default) keeps the partition file's own val.
        skip_invalid (bool): Drop bad rows, ids missing from another file
            and missing images (logging how many) instead of raising.
            Defaults to False.
        check_images (bool): Check that every image file exists.
            Defaults to True.
        ann_file (str): Unused, kept for ``BaseDataset``. Defaults to ''.
        data_prefix (dict): Image folder as ``dict(img=...)``.
        **kwargs: Other arguments of :class:`BaseDetDataset`.
    """

    METAINFO = face_metainfo(list(CELEBA_ATTRIBUTES))

    def __init__(self,
                 split: str = 'all',
                 attr_file: Optional[str] = 'Anno/list_attr_celeba.txt',
                 bbox_file: Optional[str] = 'Anno/list_bbox_celeba.txt',
                 landmark_file: Optional[
                     str] = 'Anno/list_landmarks_celeba.txt',
                 partition_file: Optional[
                     str] = 'Eval/list_eval_partition.txt',
                 identity_file: Optional[str] = 'Anno/identity_CelebA.txt',
                 attributes: Optional[Sequence[str]] = None,
                 val_fraction: float = 0.0,
                 skip_invalid: bool = False,
                 check_images: bool = True,
                 ann_file: str = '',
                 data_prefix: dict = dict(img='Img/img_celeba_crop/'),
                 **kwargs) -> None:
        if split not in SPLITS:
            raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
        if not 0.0 <= val_fraction < 1.0:
            raise ValueError(
                f'val_fraction must be in [0, 1), got {val_fraction}')
        self.split = split
        self.val_fraction = val_fraction
        self.anno_files = dict(
            attr=attr_file,
            bbox=bbox_file,
            landmark=landmark_file,
            partition=partition_file,
            identity=identity_file)
        self.attributes = None if attributes is None else list(attributes)
        self.skip_invalid = skip_invalid
        self.check_images = check_images
        #: Messages of what ``skip_invalid`` dropped during the last load.
        self.skipped: List[str] = []
        #: Images of the split dropped by ``skip_invalid``.
        self.num_skipped = 0
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)
        if not self._fully_initialized:
            # lazy_init: metainfo must already name the attribute columns.
            attr_path = self._existing_path('attr')
            names = read_attr_names(attr_path) if attr_path else []
            self._set_attribute_names(names)

    def _existing_path(self, key: str) -> Optional[str]:
        """Resolve an annotation file; ``None`` if unset or absent."""
        path = self.anno_files[key]
        if not path:
            return None
        if not is_abs(path) and self.data_root:
            path = osp.join(self.data_root, path)
        return path if osp.isfile(path) else None

    def _select_attributes(self, names: List[str]) -> List[int]:
        """Column indices of ``self.attributes`` among the file's names."""
        if self.attributes is None:
            return list(range(len(names)))
        if not names:
            raise ValueError('attributes were selected but there is no '
                             f'attribute file ({self.anno_files["attr"]})')
        unknown = [a for a in self.attributes if a not in names]
        if unknown:
            raise ValueError(f'unknown attribute names {unknown}; available: '
                             f'{", ".join(names)}')
        return [names.index(a) for a in self.attributes]

    def _set_attribute_names(self, names: List[str]) -> List[int]:
        columns = self._select_attributes(names)
        self._metainfo['attribute_names'] = tuple(names[i] for i in columns)
        return columns

    def _parse_files(self) -> Dict[str, Optional[dict]]:
        """Parse every present annotation file; absent ones give ``None``."""
        parsers = dict(
            bbox=parse_bbox_file,
            landmark=parse_landmark_file,
            partition=parse_partition_file,
            identity=parse_identity_file)
        tables: Dict[str, Optional[dict]] = {}
        self.attr_names: List[str] = []
        for key in self.anno_files:
            path = self._existing_path(key)
            if path is None:
                tables[key] = None
                if self.anno_files[key]:
                    # Not an error: e.g. the CelebA crops have no boxes.
                    print_log(f'{type(self).__name__}: no {key} file at '
                              f'{self.anno_files[key]} under '
                              f'{self.data_root}; that field is None',
                              logger='current', level=logging.INFO)
                continue
            if key == 'attr':
                self.attr_names, tables[key] = parse_attr_file(
                    path, self.skip_invalid, self.skipped)
            else:
                tables[key] = parsers[key](path, self.skip_invalid,
                                           self.skipped)
        return tables

    def _reference_ids(self, tables: Dict[str, Optional[dict]]) -> str:
        """Key of the file that defines the image list (partition first)."""
        if self.split != 'all' and tables['partition'] is None:
            raise ValueError(
                f'split={self.split!r} needs the partition file '
                f'{self.anno_files["partition"]!r} under {self.data_root!r}; '
                "use split='all' to read every image")
        for key in ('partition', 'attr', 'bbox', 'landmark', 'identity'):
            if tables[key] is not None:
                return key
        raise ValueError(f'no annotation file found under {self.data_root!r}:'
                         f' {self.anno_files}')

    def _inconsistent_ids(self, tables: Dict[str, Optional[dict]],
                          ref: str) -> set:
        """Ids listed in the reference file but not in another, or back."""
        bad = set()
        ref_path = self._existing_path(ref)
        for key, table in tables.items():
            if key == ref or table is None:
                continue
            path = self._existing_path(key)
            bad.update(
                check_same_ids(tables[ref], ref_path, table, path,
                               self.skip_invalid, self.skipped))
            # Rows only in the other file are not loaded either way; in
            # strict mode they still signal mismatched files.
            check_same_ids(table, path, tables[ref], ref_path,
                           self.skip_invalid, self.skipped)
        return bad

    def load_data_list(self) -> List[dict]:
        """Read the annotation files and build one data info per image.

        Returns:
            list[dict]: Data infos in the format of ``docs/data_contract.md``.
        """
        self.skipped = []
        tables = self._parse_files()
        columns = self._set_attribute_names(self.attr_names)
        ref = self._reference_ids(tables)
        bad = self._inconsistent_ids(tables, ref)
        ref_path = self._existing_path(ref)

        data_list = []
        self.num_skipped = 0
        for img_id in tables[ref]:
            if not self._in_split(img_id, tables):
                continue
            img_path = osp.join(self.data_prefix['img'], img_id)
            if img_id not in bad and self.check_images and not osp.isfile(
                    img_path):
                msg = f'image {img_path} (id {img_id!r} in {ref_path}) ' \
                      'does not exist'
                if not self.skip_invalid:
                    raise FileNotFoundError(msg)
                self.skipped.append(msg)
                bad.add(img_id)
            if img_id in bad:
                self.num_skipped += 1
                continue
            data_list.append(
                self._data_info(img_id, img_path, tables, columns))
        if self.skipped:
            print_log(
                f'{type(self).__name__}: skipped {self.num_skipped} images '
                f'of split {self.split!r} ({len(self.skipped)} problems in '
                f'the files under {self.data_root}); first: '
                f'{self.skipped[0]}',
                logger='current',
                level=logging.WARNING)
        return data_list

    def group_key(self, img_id: str, identity: Optional[int]) -> str:
        """The unit that a carved validation split keeps whole.

        Args:
            img_id (str): Image id.
            identity (int, optional): The image's identity, if known.

        Returns:
            str: The identity where known, else the image id.
        """
        return img_id if identity is None else f'identity:{identity}'

    def _in_split(self, img_id: str, tables: dict) -> bool:
        """Whether ``img_id`` belongs to ``self.split``."""
        if self.split == 'all':
            return True
        partition = tables['partition'][img_id]
        if self.split == 'trainval':
            return partition in (PARTITIONS['train'], PARTITIONS['val'])
        if self.val_fraction and self.split in ('train', 'val'):
            if partition != PARTITIONS['train']:
                return False
            identity = (tables['identity'] or {}).get(img_id)
            return self.split == ('val' if in_carved_val(
                self.group_key(img_id, identity),
                self.val_fraction) else 'train')
        return partition == PARTITIONS[self.split]

    @staticmethod
    def _data_info(img_id: str, img_path: str, tables: dict,
                   columns: List[int]) -> dict:
        """One image's data info; ``None`` for fields without a file."""
        bbox = keypoints = attributes = identity = None
        if tables['bbox'] is not None:
            x, y, w, h = tables['bbox'][img_id].tolist()
            bbox = [float(x), float(y), float(x + w), float(y + h)]
        if tables['landmark'] is not None:
            keypoints = tables['landmark'][img_id].astype(float).tolist()
        if tables['attr'] is not None:
            # File 1 / -1 -> 1 present / 0 absent (-1 is reserved for
            # unknown labels in the data contract).
            values = tables['attr'][img_id][columns]
            attributes = (values > 0).astype(np.int64).tolist()
        if tables['identity'] is not None:
            identity = tables['identity'][img_id]
        instance = dict(
            bbox=bbox,
            bbox_label=0,
            ignore_flag=0,
            keypoints=keypoints,
            attributes=attributes)
        return dict(
            img_path=img_path,
            img_id=img_id,
            identity=identity,
            instances=[instance])

    def _serialize_data(self) -> Tuple[np.ndarray, np.ndarray]:
        """Serialize as ``BaseDataset`` does, also for an empty split.

        LFWA and the wild set have no val partition; ``np.concatenate`` of
        nothing would fail, so an empty list gives empty buffers.
        """
        if not self.data_list:
            print_log(f'{type(self).__name__}: split {self.split!r} of '
                      f'{self.data_root} has no images', logger='current',
                      level=logging.WARNING)
            return np.zeros(0, np.uint8), np.zeros(0, np.int64)
        return super()._serialize_data()

    def filter_data(self) -> List[dict]:
        """Keep every image.

        Images have no known size here and every image holds its one face,
        so none of mmdet's filters (empty GT, min size) apply.

        Returns:
            list[dict]: ``self.data_list`` unchanged.
        """
        return self.data_list
