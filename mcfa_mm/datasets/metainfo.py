"""Names and orders shared by every face dataset, transform and metric.

The official CelebA files define the order of the 5 landmarks and of the 40
attributes; everything in mcfa-mm indexes keypoints and attributes in that
order. *Left* means the image's left side, as in CelebA.
"""
from typing import List, Optional, Sequence, Tuple

#: The 5 landmarks, in the column order of ``list_landmarks_celeba.txt``.
LANDMARK_NAMES: Tuple[str, ...] = ('left_eye', 'right_eye', 'nose',
                                   'left_mouth', 'right_mouth')
#: Keypoint index pairs that swap under a horizontal flip.
LANDMARK_FLIP_PAIRS: Tuple[Tuple[int, int], ...] = ((0, 1), (3, 4))


def flip_permutation(flip_pairs: Sequence[Tuple[int, int]],
                     num_keypoints: int) -> List[int]:
    """Keypoint order after a horizontal flip: index ``i`` of the flipped
    keypoints is keypoint ``order[i]`` of the original.

    Args:
        flip_pairs (Sequence[tuple[int, int]]): Index pairs that swap.
        num_keypoints (int): Number of keypoints.

    Returns:
        list[int]: The permutation.
    """
    order = list(range(num_keypoints))
    for left, right in flip_pairs:
        order[left], order[right] = right, left
    return order


#: Indices of the two eyes, used for inter-ocular normalisation.
LEFT_EYE_INDEX, RIGHT_EYE_INDEX = 0, 1
NUM_LANDMARKS = len(LANDMARK_NAMES)
#: The 5 landmarks' order after a horizontal flip (left and right swap).
LANDMARK_FLIP_INDICES: Tuple[int, ...] = tuple(
    flip_permutation(LANDMARK_FLIP_PAIRS, NUM_LANDMARKS))

#: CelebA's 40 binary attributes in the column order of list_attr_celeba.txt.
CELEBA_ATTRIBUTES: Tuple[str, ...] = (
    '5_o_Clock_Shadow', 'Arched_Eyebrows', 'Attractive', 'Bags_Under_Eyes',
    'Bald', 'Bangs', 'Big_Lips', 'Big_Nose', 'Black_Hair', 'Blond_Hair',
    'Blurry', 'Brown_Hair', 'Bushy_Eyebrows', 'Chubby', 'Double_Chin',
    'Eyeglasses', 'Goatee', 'Gray_Hair', 'Heavy_Makeup', 'High_Cheekbones',
    'Male', 'Mouth_Slightly_Open', 'Mustache', 'Narrow_Eyes', 'No_Beard',
    'Oval_Face', 'Pale_Skin', 'Pointy_Nose', 'Receding_Hairline',
    'Rosy_Cheeks', 'Sideburns', 'Smiling', 'Straight_Hair', 'Wavy_Hair',
    'Wearing_Earrings', 'Wearing_Hat', 'Wearing_Lipstick', 'Wearing_Necklace',
    'Wearing_Necktie', 'Young')

#: Value of an attribute label whose truth is unknown (ignored by losses
#: and metrics). Known labels are 1 (present) and 0 (absent).
ATTRIBUTE_IGNORE = -1

#: ``face_label`` of a training sample: a face, a non-face crop, or a part
#: face (trains box regression only, as in MTCNN).
FACE, NON_FACE, PART_FACE = 1, 0, -1


def face_metainfo(attribute_names: List[str]) -> dict:
    """Build the ``metainfo`` dict shared by the face datasets.

    Args:
        attribute_names (list[str]): Attribute names in label-column order.

    Returns:
        dict: ``classes``, ``attribute_names``, ``landmark_names`` and
        ``flip_indices`` (the keypoint permutation of a horizontal flip).
    """
    return dict(
        classes=('face', ),
        attribute_names=tuple(attribute_names),
        landmark_names=LANDMARK_NAMES,
        flip_indices=list(LANDMARK_FLIP_INDICES),
        palette=[(0, 255, 0)])


def attribute_names(meta: Optional[dict], num: int) -> List[str]:
    """Names of ``num`` attribute columns: the meta's, CelebA's, or indices.

    The one fallback of the hook, the visualiser and the inference API:
    ``meta['attribute_names']`` when it names exactly ``num`` columns, else
    CelebA's 40 names when ``num`` is 40, else ``attr_{i}`` (rather than
    wrong names).

    Args:
        meta (dict, optional): A ``dataset_meta`` / ``metainfo``.
        num (int): Number of attribute columns.

    Returns:
        list[str]: ``num`` names.
    """
    names = (meta or {}).get('attribute_names')
    if names is not None and len(names) == num:
        return [str(name) for name in names]
    if num == len(CELEBA_ATTRIBUTES):
        return list(CELEBA_ATTRIBUTES)
    return [f'attr_{i}' for i in range(num)]
