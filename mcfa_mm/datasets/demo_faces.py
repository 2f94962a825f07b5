"""Procedurally drawn faces in the official CelebA layout, for demos and CI.

Real face data cannot ship with the code, so tests, tutorials and smoke
trainings use cartoon faces drawn here with OpenCV. Every face has an exact
tight box (eyebrows to chin, as in the real sets), 5 landmarks and 8 visible
attributes; face-free background images serve non-face mining.

Layout written under ``out_dir``::

    Img/img_celeba/000001.jpg ...       faces (``data_prefix`` of configs)
    Img/backgrounds/000NNN.jpg ...      images without a face
    Anno/list_attr_celeba.txt           DEMO_ATTRIBUTES, 1 / -1
    Anno/list_bbox_celeba.txt           x_1 y_1 width height
    Anno/list_landmarks_celeba.txt      5 (x, y) points
    Anno/identity_CelebA.txt            random identity numbers
    Anno/list_backgrounds.txt           background ids (relative to
                                        Img/backgrounds/), one per line
    Eval/list_eval_partition.txt        faces only: 0 train / 1 val / 2 test

Command line: ``tools/misc/make_demo_faces.py OUT_DIR --num-images N``.
"""
import math
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

from .annotation_files import (BBOX_HEADER, LANDMARK_HEADER,
                                         write_annotation_file)

#: The drawn attributes, with CelebA's names, in the file's column order.
DEMO_ATTRIBUTES: Tuple[str, ...] = ('Bangs', 'Black_Hair', 'Blond_Hair',
                                    'Eyeglasses', 'Goatee', 'Smiling',
                                    'Wearing_Hat', 'Male')
_ATTR_PROB = dict(
    Bangs=0.4, Eyeglasses=0.35, Goatee=0.3, Smiling=0.5, Wearing_Hat=0.3,
    Male=0.5)
# BGR colours.
_SKINS = np.array([(185, 205, 240), (150, 180, 225), (120, 160, 210),
                   (90, 130, 190), (60, 95, 150), (45, 70, 110)])
_HAIR = dict(black=(25, 25, 30), blond=(110, 200, 235), brown=(40, 70, 120),
             auburn=(45, 65, 150), gray=(150, 150, 155))
_JPEG = [cv2.IMWRITE_JPEG_QUALITY, 90]


def _color(rng: np.random.Generator, base, jitter: int = 12) -> tuple:
    c = np.clip(np.asarray(base) + rng.integers(-jitter, jitter + 1, 3), 0,
                255)
    return tuple(int(v) for v in c)


def _background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """Low-frequency colour field plus random shapes as clutter."""
    gh, gw = rng.integers(2, 6, 2)
    small = rng.integers(0, 256, (gh, gw, 3)).astype(np.uint8)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    for _ in range(int(rng.integers(3, 9))):
        color = _color(rng, rng.integers(0, 256, 3), 0)
        p1 = tuple(int(v) for v in rng.integers(0, (w, h)))
        p2 = tuple(int(v) for v in rng.integers(0, (w, h)))
        kind = rng.integers(3)
        if kind == 0:
            cv2.rectangle(img, p1, p2, color, int(rng.choice([-1, 1, 2])))
        elif kind == 1:
            cv2.line(img, p1, p2, color, int(rng.integers(1, 4)))
        else:
            cv2.circle(img, p1, int(rng.integers(3, max(4, w // 6))), color,
                       -1)
    return img


class _FaceFrame:
    """Maps face coordinates (u, v in box units) to image pixels.

    ``(0, 0)`` is the box's top-left, ``(1, 1)`` its bottom-right; a small
    roll rotates everything about the box centre.
    """

    def __init__(self, box: Sequence[float], roll_deg: float) -> None:
        self.x, self.y, self.w, self.h = box
        self.roll = roll_deg
        t = math.radians(roll_deg)
        self.cos, self.sin = math.cos(t), math.sin(t)

    def pt(self, u: float, v: float) -> Tuple[float, float]:
        dx, dy = (u - 0.5) * self.w, (v - 0.5) * self.h
        return (self.x + self.w / 2 + dx * self.cos - dy * self.sin,
                self.y + self.h / 2 + dx * self.sin + dy * self.cos)

    def ipt(self, u: float, v: float) -> Tuple[int, int]:
        x, y = self.pt(u, v)
        return int(math.floor(x + 0.5)), int(math.floor(y + 0.5))

    def poly(self, uvs) -> np.ndarray:
        return np.array([self.ipt(u, v) for u, v in uvs], np.int32)

    def ellipse(self, img, u, v, au, av, color, start=0, end=360) -> None:
        """Filled ellipse with semi-axes in box units (au * w, av * h)."""
        axes = (max(1, int(au * self.w)), max(1, int(av * self.h)))
        cv2.ellipse(img, self.ipt(u, v), axes, self.roll, start, end, color,
                    -1, cv2.LINE_AA)


def _draw_hair_and_head(img, f: _FaceFrame, a: Dict[str, int], skin, hair,
                        rng) -> None:
    """Hair behind the head, clothes, neck, face shape, hairline, hat."""
    male = a['Male'] > 0
    if not male:  # long hair falls behind the neck
        f.ellipse(img, 0.5, 0.22, 0.55, 0.76, hair)
        cv2.fillPoly(img, [f.poly([(-0.08, 0.2), (1.08, 0.2), (1.12, 1.35),
                                   (-0.12, 1.35)])], hair, cv2.LINE_AA)
    f.ellipse(img, 0.5, 1.75, 1.0, 0.6, _color(rng, rng.integers(0, 256, 3)))
    neck = tuple(int(c * 0.85) for c in skin)
    cv2.fillPoly(img, [f.poly([(0.3, 0.8), (0.7, 0.8), (0.72, 1.3),
                               (0.28, 1.3)])], neck)
    f.ellipse(img, 0.5, 0.22, 0.56 if male else 0.52, 0.76, hair, 180, 360)
    f.ellipse(img, 0.5, 0.28, 0.52 if male else 0.47, 0.72, skin)
    if male:  # squarer jaw
        cv2.fillPoly(img, [f.poly([(0.03, 0.45), (0.97, 0.45), (0.8, 0.98),
                                   (0.2, 0.98)])], skin, cv2.LINE_AA)
    f.ellipse(img, 0.5, -0.2, 0.48, 0.26, hair, 180, 360)  # hair cap
    if a['Bangs'] > 0:  # fringe down to just above the eyebrows
        f.ellipse(img, 0.5, 0.05, 0.47, 0.5, hair, 180, 360)
        for u in np.linspace(0.12, 0.88, 7):
            cv2.fillPoly(img, [f.poly([(u - 0.06, 0.04), (u + 0.06, 0.04),
                                       (u, 0.1)])], hair, cv2.LINE_AA)
    if a['Wearing_Hat'] > 0:
        color = _color(rng, rng.integers(0, 256, 3), 0)
        cv2.fillPoly(img, [f.poly([(0.08, -0.22), (0.92, -0.22),
                                   (0.85, -0.8), (0.15, -0.8)])], color,
                     cv2.LINE_AA)
        f.ellipse(img, 0.5, -0.2, 0.8, 0.07, color)


def _draw_features(img, f: _FaceFrame, a: Dict[str, int], skin, hair,
                   blond: bool, lms: np.ndarray, rng) -> None:
    """Brows, eyes, glasses, nose, goatee and mouth at the landmarks."""
    w = f.w
    male = a['Male'] > 0
    dark = tuple(int(c * 0.5) for c in hair)
    (lx, ly), (rx, ry), (nx, ny), (mlx, mly), (mrx, mry) = lms.tolist()
    brow_t = max(1, int(w / (16 if male else 28)))
    for ex, ey, sgn in ((lx, ly, -1), (rx, ry, 1)):
        inner = (int(ex - sgn * 0.07 * w), int(ey - 0.17 * f.h))
        outer = (int(ex + sgn * 0.1 * w), int(ey - 0.15 * f.h))
        cv2.line(img, inner, outer, dark, brow_t, cv2.LINE_AA)
        cv2.ellipse(img, (ex, ey), (max(2, int(0.075 * w)),
                                    max(1, int(0.035 * f.h))), f.roll, 0,
                    360, (235, 240, 240), -1, cv2.LINE_AA)
        cv2.circle(img, (ex, ey), max(1, int(0.028 * w)),
                   _color(rng, (40, 60, 90), 30), -1, cv2.LINE_AA)
    if a['Eyeglasses'] > 0:
        t, r = max(1, int(w / 35)), int(0.12 * w)
        for ex, ey in ((lx, ly), (rx, ry)):
            cv2.circle(img, (ex, ey), r, (20, 20, 20), t, cv2.LINE_AA)
        cv2.line(img, (lx + r, ly), (rx - r, ry), (20, 20, 20), t)
    shade = tuple(int(c * 0.75) for c in skin)
    cv2.line(img, ((lx + rx) // 2, (ly + ry) // 2 + int(0.05 * f.h)),
             (nx, ny), shade, max(1, int(w / 40)), cv2.LINE_AA)
    for s in (-1, 1):
        cv2.circle(img, (nx + s * int(0.05 * w), ny), max(1, int(w / 45)),
                   shade, -1)
    if a['Goatee'] > 0:
        # Darker than any skin tone so the patch shows on every face.
        beard = (30, 50, 75) if blond else tuple(int(c * 0.4) for c in hair)
        cv2.ellipse(img, ((mlx + mrx) // 2, int(f.y + 0.91 * f.h)),
                    (int(0.15 * w), int(0.1 * f.h)), f.roll, 0, 360, beard,
                    -1, cv2.LINE_AA)
    _draw_mouth(img, (mlx, mly), (mrx, mry), f.h, a['Smiling'] > 0, male)


def _draw_mouth(img, left, right, face_h: float, smiling: bool,
                male: bool) -> None:
    """Open curved mouth with teeth when smiling, closed lips otherwise."""
    t = np.linspace(0, 1, 12)
    bend = 4 * t * (1 - t)  # 0 at the corners, 1 in the middle
    xs = left[0] + (right[0] - left[0]) * t
    ys = left[1] + (right[1] - left[1]) * t

    def curve(depth):
        return np.stack([xs, ys + depth * face_h * bend], 1)

    if smiling:
        top, bottom = curve(0.02), curve(0.11)
        color = (40, 40, 120)
    else:
        top, bottom = curve(-0.025), curve(0.03)
        color = (90, 100, 160) if male else (70, 60, 200)
    lips = np.concatenate([top, bottom[::-1]]).round().astype(np.int32)
    cv2.fillPoly(img, [lips], color, cv2.LINE_AA)
    if smiling:  # a band of teeth under the upper lip
        teeth = np.concatenate([curve(0.025), curve(0.05)[::-1]])
        cv2.fillPoly(img, [teeth.round().astype(np.int32)], (235, 240, 240),
                     cv2.LINE_AA)
    else:
        line = curve(0.0).round().astype(np.int32)
        cv2.polylines(img, [line], False, (30, 30, 70), 1, cv2.LINE_AA)


def _sample_attributes(rng: np.random.Generator) -> Dict[str, int]:
    """Independent attributes, except that hair has one colour."""
    a = {k: int(1 if rng.random() < p else -1) for k, p in _ATTR_PROB.items()}
    hair = rng.choice(['black', 'blond', 'other'], p=[0.35, 0.3, 0.35])
    a['Black_Hair'] = 1 if hair == 'black' else -1
    a['Blond_Hair'] = 1 if hair == 'blond' else -1
    return a


def _draw_face(rng: np.random.Generator, size: Tuple[int, int]):
    """Draw one face image.

    Returns:
        tuple: image, box ``[x, y, w, h]`` (ints), landmarks (5, 2) ints
        and the attribute dict (1 / -1).
    """
    w, h = size
    a = _sample_attributes(rng)
    bw = rng.uniform(0.35, 0.7) * w
    bh = bw * rng.uniform(1.0, 1.12)
    if bh > 0.8 * h:  # keep room for the forehead in wide images
        bw, bh = bw * 0.8 * h / bh, 0.8 * h
    bw, bh = int(round(bw)), int(round(bh))
    x1 = int(rng.integers(0, w - bw + 1))
    # Leave ~a quarter box of forehead above so hats and fringes show.
    y1 = int(rng.integers(min(int(0.25 * bh), h - bh), h - bh + 1))
    f = _FaceFrame((x1, y1, bw, bh), rng.uniform(-8, 8))
    yaw = rng.uniform(-0.05, 0.05)
    ev, es, mv = rng.uniform(0.3, 0.36), rng.uniform(0.18, 0.22), \
        rng.uniform(0.77, 0.82)
    uvs = [(0.5 - es + yaw, ev), (0.5 + es + yaw, ev), (0.5 + 2 * yaw, 0.58),
           (0.34 + yaw, mv), (0.66 + yaw, mv)]
    lms = np.array([f.ipt(u, v) for u, v in uvs], np.int64)

    img = _background(rng, w, h)
    skin = _color(rng, _SKINS[rng.integers(len(_SKINS))], 10)
    name = 'black' if a['Black_Hair'] > 0 else (
        'blond' if a['Blond_Hair'] > 0 else rng.choice(
            ['brown', 'auburn', 'gray']))
    hair = _color(rng, _HAIR[name], 8)
    _draw_hair_and_head(img, f, a, skin, hair, rng)
    _draw_features(img, f, a, skin, hair, name == 'blond', lms, rng)
    return _finish(rng, img), [x1, y1, bw, bh], lms, a


def _draw_background_image(rng: np.random.Generator,
                           size: Tuple[int, int]) -> np.ndarray:
    """A face-free image; half have a featureless skin blob (hard negative)."""
    w, h = size
    img = _background(rng, w, h)
    if rng.random() < 0.5:
        center = tuple(int(v) for v in rng.integers(0, (w, h)))
        axes = (int(rng.uniform(0.1, 0.3) * w), int(rng.uniform(0.1, 0.3) * h))
        cv2.ellipse(img, center, axes, float(rng.uniform(0, 180)), 0, 360,
                    _color(rng, _SKINS[rng.integers(len(_SKINS))]), -1)
    return _finish(rng, img)


def _finish(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """Soften the drawing and add sensor-like noise."""
    img = cv2.GaussianBlur(img, (3, 3), 0).astype(np.float32)
    img += rng.normal(0, 4, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _split_sizes(n: int, ratios: Sequence[float]) -> List[int]:
    """Train / val / test sizes; val and test round up (tiny sets keep
    one image each) as far as ``n`` allows, train takes the rest.

    Raises:
        ValueError: If a split with a positive ratio would be empty (e.g.
            fewer than 3 images for three splits): a dataset built on that
            split would have no images.
    """
    total = float(sum(ratios))
    val, test = (int(math.ceil(n * r / total - 1e-9)) for r in ratios[1:])
    test = min(test, n)
    val = min(val, n - test)
    sizes = [n - val - test, val, test]
    empty = [name for name, size, ratio in zip(('train', 'val', 'test'),
                                                 sizes, ratios)
             if ratio > 0 and size == 0]
    if empty:
        raise ValueError(
            f'num_images={n} leaves the {"/".join(empty)} split(s) empty '
            f'with split_ratios {tuple(ratios)}: generate at least one image '
            'per split with a positive ratio (3 for the default ratios)')
    return sizes


def generate_demo_faces(out_dir: str,
                        num_images: int = 200,
                        seed: int = 0,
                        image_size: Tuple[int, int] = (128, 128),
                        background_ratio: float = 0.15,
                        split_ratios: Sequence[float] = (0.7, 0.15, 0.15)
                        ) -> dict:
    """Write a drawn face dataset in the official CelebA layout.

    Each image is drawn from its own random stream (``seed``, index), so
    the output is byte-identical for a seed and the first images do not
    change when ``num_images`` grows.

    Args:
        out_dir (str): Dataset root to write (created if needed).
        num_images (int): Number of face images. Defaults to 200.
        seed (int): Random seed. Defaults to 0.
        image_size (tuple[int, int]): ``(width, height)`` of every image.
            Defaults to (128, 128).
        background_ratio (float): Face-free images to add, as a fraction of
            ``num_images``. Defaults to 0.15.
        split_ratios (Sequence[float]): Train / val / test proportions of
            the faces. Defaults to (0.7, 0.15, 0.15).

    Returns:
        dict: ``data_root``, ``num_faces``, ``num_backgrounds``,
        ``split_sizes`` (dict train/val/test), ``attribute_names``, and the
        paths ``img_dir``, ``background_dir``, ``attr_file``, ``bbox_file``,
        ``landmark_file``, ``identity_file``, ``partition_file``,
        ``background_file``.

    Raises:
        ValueError: If ``num_images`` < 1, or too small to give every split
            with a positive ratio at least one image.
    """
    if num_images < 1:
        raise ValueError(f'num_images must be >= 1, got {num_images}')
    sizes = _split_sizes(num_images, split_ratios)  # fail before writing
    paths = dict(
        img_dir=osp.join(out_dir, 'Img', 'img_celeba'),
        background_dir=osp.join(out_dir, 'Img', 'backgrounds'),
        attr_file=osp.join(out_dir, 'Anno', 'list_attr_celeba.txt'),
        bbox_file=osp.join(out_dir, 'Anno', 'list_bbox_celeba.txt'),
        landmark_file=osp.join(out_dir, 'Anno', 'list_landmarks_celeba.txt'),
        identity_file=osp.join(out_dir, 'Anno', 'identity_CelebA.txt'),
        partition_file=osp.join(out_dir, 'Eval', 'list_eval_partition.txt'),
        background_file=osp.join(out_dir, 'Anno', 'list_backgrounds.txt'))
    os.makedirs(paths['img_dir'], exist_ok=True)
    os.makedirs(paths['background_dir'], exist_ok=True)

    partition = np.repeat([0, 1, 2], sizes)[np.random.default_rng(
        [seed, 2]).permutation(num_images)]
    num_ids = max(1, num_images // 5)
    attr, bbox, lmk, ident, part = {}, {}, {}, {}, {}
    for i in range(num_images):
        rng = np.random.default_rng([seed, 0, i])
        img, box, lms, a = _draw_face(rng, image_size)
        img_id = f'{i + 1:06d}.jpg'
        cv2.imwrite(osp.join(paths['img_dir'], img_id), img, _JPEG)
        attr[img_id] = [a[k] for k in DEMO_ATTRIBUTES]
        bbox[img_id] = box
        lmk[img_id] = lms.ravel()
        ident[img_id] = [int(rng.integers(1, num_ids + 1))]
        part[img_id] = [partition[i]]

    num_bg = int(round(num_images * background_ratio))
    backgrounds = []
    for j in range(num_bg):
        img_id = f'{num_images + j + 1:06d}.jpg'
        img = _draw_background_image(
            np.random.default_rng([seed, 1, j]), image_size)
        cv2.imwrite(osp.join(paths['background_dir'], img_id), img, _JPEG)
        backgrounds.append(img_id)

    # CelebA right-aligns each attribute value to width 2: ' 1' and '-1'.
    write_annotation_file(paths['attr_file'], attr, DEMO_ATTRIBUTES, width=2)
    write_annotation_file(paths['bbox_file'], bbox, BBOX_HEADER)
    write_annotation_file(paths['landmark_file'], lmk, LANDMARK_HEADER)
    write_annotation_file(paths['identity_file'], ident)
    write_annotation_file(paths['partition_file'], part)
    with open(paths['background_file'], 'w', encoding='ascii',
              newline='\n') as file:
        file.write(''.join(name + '\n' for name in backgrounds))
    return dict(
        data_root=out_dir,
        num_faces=num_images,
        num_backgrounds=num_bg,
        split_sizes=dict(zip(('train', 'val', 'test'), sizes)),
        attribute_names=DEMO_ATTRIBUTES,
        **paths)
