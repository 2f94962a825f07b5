"""Write the demo faces in the layouts of ../shared/data (CelebA crops,
LFWA, in-the-wild), so configs and tools can be tested without real data."""
import os
import os.path as osp
import shutil
from typing import Dict, List, Tuple

import cv2
import numpy as np

from ..datasets.annotation_files import (BBOX_HEADER, LANDMARK_HEADER,
                                         parse_attr_file, parse_bbox_file,
                                         parse_landmark_file,
                                         parse_partition_file,
                                         write_annotation_file)
from ..datasets.metainfo import CELEBA_ATTRIBUTES
from ..datasets.demo_faces import generate_demo_faces


def _write_attrs(path: str, ids: List[Tuple[str, str]],
                 demo_attrs: Dict[str, np.ndarray], demo_names: List[str],
                 rng: np.random.Generator) -> None:
    """40 CelebA columns: the demo's own where names match, else random."""
    rows = {}
    for new_id, old_id in ids:
        values = rng.choice([-1, 1], size=len(CELEBA_ATTRIBUTES))
        for k, name in enumerate(CELEBA_ATTRIBUTES):
            if name in demo_names:
                values[k] = demo_attrs[old_id][demo_names.index(name)]
        rows[new_id] = values
    write_annotation_file(path, rows, CELEBA_ATTRIBUTES, width=2)


def write_fake_layouts(root: str, num_images: int = 24,
                       seed: int = 0) -> Dict[str, str]:
    """Write ``celeba/``, ``lfwa/``, ``wild/`` and ``celeba_full/`` (the
    official CelebA release: whole images with box and landmarks) under
    ``root``.

    Args:
        root (str): Output folder.
        num_images (int): Faces per dataset.
        seed (int): Random seed.

    Returns:
        dict: The dataset roots, keyed ``celeba``, ``lfwa``, ``wild``,
        ``celeba_full`` and ``demo`` (the 8-attribute demo set).
    """
    demo = generate_demo_faces(osp.join(root, 'demo'), num_images, seed)
    names = list(demo['attribute_names'])
    attrs = parse_attr_file(demo['attr_file'])[1]
    boxes = parse_bbox_file(demo['bbox_file'])
    points = parse_landmark_file(demo['landmark_file'])
    partition = parse_partition_file(demo['partition_file'])
    rng = np.random.default_rng(seed)
    roots = {k: osp.join(root, k) for k in ('celeba', 'lfwa', 'wild')}
    roots['demo'] = demo['data_root']
    ids = sorted(boxes)

    roots['celeba_full'] = osp.join(root, 'celeba_full')
    shutil.copytree(demo['data_root'], roots['celeba_full'])
    _write_attrs(
        osp.join(roots['celeba_full'], 'Anno', 'list_attr_celeba.txt'),
        [(i, i) for i in ids], attrs, names, rng)

    # CelebA: tight crops around the face box, attributes only.
    celeba_ids = []
    for old_id in ids:
        x, y, w, h = boxes[old_id]
        image = cv2.imread(osp.join(demo['img_dir'], old_id))
        crop = image[max(0, y - h // 8):y + h, max(0, x):x + w]
        new_id = f'{182638 + len(celeba_ids) + 1}.jpg'
        out = osp.join(roots['celeba'], 'Img', 'img_celeba_crop', new_id)
        os.makedirs(osp.dirname(out), exist_ok=True)
        cv2.imwrite(out, crop)
        celeba_ids.append((new_id, old_id))
    anno = osp.join(roots['celeba'], 'Anno')
    _write_attrs(osp.join(anno, 'list_attr_celeba.txt'), celeba_ids, attrs,
                 names, rng)
    write_annotation_file(
        osp.join(anno, 'identity_CelebA.txt'),
        {n: [i % 5 + 1] for i, (n, _) in enumerate(celeba_ids)})
    write_annotation_file(
        osp.join(roots['celeba'], 'Eval', 'list_eval_partition.txt'),
        {n: [partition[o]] for n, o in celeba_ids})

    # LFWA and wild: whole images with box and landmarks; no val split.
    layouts = dict(
        lfwa=('Img/lfw_80', 'lfwa',
              lambda i: f'Person_{i}/Person_{i}_0001.jpg'),
        wild=('Img/img_wild', 'celeba', lambda i: f'{i}_0_0.jpg'))
    for key, (img_dir, suffix, name_of) in layouts.items():
        pairs = [(name_of(i), o) for i, o in enumerate(ids)]
        for new_id, old_id in pairs:
            out = osp.join(roots[key], img_dir, new_id)
            os.makedirs(osp.dirname(out), exist_ok=True)
            shutil.copy(osp.join(demo['img_dir'], old_id), out)
        anno = osp.join(roots[key], 'Anno')
        write_annotation_file(osp.join(anno, f'list_bbox_{suffix}.txt'),
                              {n: boxes[o] for n, o in pairs}, BBOX_HEADER)
        write_annotation_file(
            osp.join(anno, f'list_landmarks_{suffix}.txt'),
            {n: np.ravel(points[o]) for n, o in pairs}, LANDMARK_HEADER)
        write_annotation_file(
            osp.join(roots[key], 'Eval', 'list_eval_partition.txt'),
            {n: [2 if partition[o] == 2 else 0] for n, o in pairs})
        if key == 'lfwa':
            _write_attrs(osp.join(anno, 'list_attr_lfwa.txt'), pairs, attrs,
                         names, rng)
            write_annotation_file(
                osp.join(anno, 'identity_lfwa.txt'),
                {n: [i + 1] for i, (n, _) in enumerate(pairs)})
    return roots
