"""Parsers for annotation files in the official CelebA formats.

Every parser splits lines on whitespace, so it reads both the files of
``../shared/data`` (LF, single spaces) and CelebA's distributed files (CRLF,
padded numbers, a trailing space after the attribute names). Each returns a
dict ``image id -> values`` in file order.

Errors raise :class:`AnnotationError`, whose message names the file and the
1-based line number. With ``skip_invalid=True`` a bad *row* is dropped
instead and its message is appended to the optional ``skipped`` list; a bad
*header* is always an error, because no row of the file can be trusted then.
"""
import os
import os.path as osp
from typing import (Callable, Dict, Iterator, List, Optional, Sequence,
                    Tuple)

import numpy as np

#: Header (line 2) of the box files.
BBOX_HEADER: Tuple[str, ...] = ('image_id', 'x_1', 'y_1', 'width', 'height')
#: Header (line 2) of the landmark files.
LANDMARK_HEADER: Tuple[str, ...] = ('lefteye_x', 'lefteye_y', 'righteye_x',
                                    'righteye_y', 'nose_x', 'nose_y',
                                    'leftmouth_x', 'leftmouth_y',
                                    'rightmouth_x', 'rightmouth_y')
#: Partition values of ``list_eval_partition.txt``.
PARTITIONS: Dict[str, int] = dict(train=0, val=1, test=2)


class AnnotationError(ValueError):
    """An annotation file does not follow its format.

    Args:
        path (str): The file.
        line (int, optional): 1-based line number of the problem.
        msg (str): What is wrong.
    """

    def __init__(self, path: str, line: Optional[int], msg: str) -> None:
        where = f'{path}, line {line}' if line is not None else path
        super().__init__(f'{where}: {msg}')
        self.path = path
        self.line = line


def _numbered_lines(path: str) -> Iterator[Tuple[int, List[str]]]:
    """Yield ``(1-based line number, whitespace-split fields)``.

    Blank lines (e.g. a final empty line) are skipped but still counted, so
    reported line numbers match what an editor shows.
    """
    with open(path, 'r', encoding='utf-8') as f:
        for lineno, line in enumerate(f, start=1):
            fields = line.split()
            if fields:
                yield lineno, fields


def _to_ints(path: str, lineno: int, values: List[str]) -> np.ndarray:
    try:
        return np.array([int(v) for v in values], dtype=np.int64)
    except ValueError:
        bad = next(v for v in values if not v.lstrip('+-').isdigit())
        raise AnnotationError(path, lineno,
                              f'expected integers, got {bad!r}') from None


def _parse_rows(path: str,
                num_values: Optional[int],
                header: Optional[Tuple[str, ...]],
                has_count: bool,
                check: Optional[Callable[[np.ndarray], Optional[str]]],
                skip_invalid: bool,
                skipped: Optional[List[str]]
                ) -> Tuple[Dict[str, np.ndarray], List[str]]:
    """Shared reader of the five formats.

    Args:
        path (str): File to read.
        num_values (int, optional): Integers per row after the id; ``None``
            takes the number of names on the header line.
        header (tuple[str], optional): Expected header names (only their
            count is checked, names vary between releases); ``None`` with
            ``has_count`` reads a free header (the attribute names).
        has_count (bool): Whether line 1 is the row count and line 2 a
            header. The partition and identity files have neither.
        check (callable, optional): Returns an error message for a bad row.
        skip_invalid (bool): Drop bad rows instead of raising.
        skipped (list[str], optional): Receives the messages of dropped rows.

    Returns:
        tuple[dict, list[str]]: Rows ``id -> int64 array`` and header names.
    """
    lines = _numbered_lines(path)
    count, names = None, []
    if has_count:
        first = next(lines, None)
        if first is None or len(first[1]) != 1:
            raise AnnotationError(path, first and first[0],
                                  'line 1 must hold only the row count')
        count = int(_to_ints(path, first[0], first[1])[0])
        second = next(lines, None)
        if second is None:
            raise AnnotationError(path, 2, 'missing header line')
        names = second[1]
        if header is not None and len(names) != len(header):
            raise AnnotationError(
                path, second[0], f'header has {len(names)} names, expected '
                f'{len(header)}: {" ".join(header)}')
        if header is None and len(set(names)) != len(names):
            raise AnnotationError(path, second[0], 'duplicate header names')
        if num_values is None:
            num_values = len(names)
        if num_values == 0:
            raise AnnotationError(path, second[0], 'empty header')

    rows: Dict[str, np.ndarray] = {}
    num_rows = 0
    for lineno, fields in lines:
        num_rows += 1
        try:
            if len(fields) != num_values + 1:
                raise AnnotationError(
                    path, lineno, f'{len(fields)} columns, expected '
                    f'{num_values + 1} (id + {num_values} values)')
            img_id, values = fields[0], _to_ints(path, lineno, fields[1:])
            msg = check(values) if check is not None else None
            if msg is not None:
                raise AnnotationError(path, lineno, f'{img_id}: {msg}')
            if img_id in rows:
                raise AnnotationError(path, lineno,
                                      f'duplicate image id {img_id!r}')
        except AnnotationError as err:
            if not skip_invalid:
                raise
            if skipped is not None:
                skipped.append(str(err))
            continue
        rows[img_id] = values
    # A wrong count means a truncated or concatenated file; with
    # skip_invalid the rows that did parse are still usable.
    if count is not None and count != num_rows:
        err = AnnotationError(
            path, 1, f'line 1 says {count} rows but the file has {num_rows}')
        if not skip_invalid:
            raise err
        if skipped is not None:
            skipped.append(str(err))
    return rows, names


def parse_attr_file(path: str,
                    skip_invalid: bool = False,
                    skipped: Optional[List[str]] = None
                    ) -> Tuple[List[str], Dict[str, np.ndarray]]:
    """Parse ``list_attr_*.txt``: count, attribute names, ``id v1 .. vd``.

    Args:
        path (str): The attribute file.
        skip_invalid (bool): Drop bad rows instead of raising.
        skipped (list[str], optional): Receives the messages of dropped rows.

    Returns:
        tuple[list[str], dict[str, np.ndarray]]: The attribute names and,
        per image id, an int64 array of the raw values (1 or -1).
    """

    def check(values: np.ndarray) -> Optional[str]:
        if np.any((values != 1) & (values != -1)):
            return f'attribute values must be 1 or -1, got {values.tolist()}'
        return None

    rows, names = _parse_rows(path, None, None, True, check, skip_invalid,
                              skipped)
    return list(names), rows


def read_attr_names(path: str) -> List[str]:
    """Read only the attribute names (line 2) of an attribute file.

    Cheap enough to call before the whole file is parsed, e.g. to fill a
    lazily initialised dataset's ``metainfo``.

    Args:
        path (str): The attribute file.

    Returns:
        list[str]: The attribute names in column order.
    """
    lines = _numbered_lines(path)
    next(lines, None)
    second = next(lines, None)
    if second is None:
        raise AnnotationError(path, 2, 'missing header line')
    return second[1]


def parse_bbox_file(path: str,
                    skip_invalid: bool = False,
                    skipped: Optional[List[str]] = None
                    ) -> Dict[str, np.ndarray]:
    """Parse ``list_bbox_*.txt``: count, header, ``id x_1 y_1 width height``.

    Args:
        path (str): The box file.
        skip_invalid (bool): Drop bad rows instead of raising.
        skipped (list[str], optional): Receives the messages of dropped rows.

    Returns:
        dict[str, np.ndarray]: Per image id, int64 ``[x, y, w, h]``.
    """

    def check(values: np.ndarray) -> Optional[str]:
        if values[2] <= 0 or values[3] <= 0:
            return f'box width and height must be positive, got {values}'
        return None

    rows, _ = _parse_rows(path, len(BBOX_HEADER) - 1, BBOX_HEADER, True,
                          check, skip_invalid, skipped)
    return rows


def parse_landmark_file(path: str,
                        skip_invalid: bool = False,
                        skipped: Optional[List[str]] = None
                        ) -> Dict[str, np.ndarray]:
    """Parse ``list_landmarks_*.txt``: count, 10 names, ``id`` + 10 ints.

    Args:
        path (str): The landmark file.
        skip_invalid (bool): Drop bad rows instead of raising.
        skipped (list[str], optional): Receives the messages of dropped rows.

    Returns:
        dict[str, np.ndarray]: Per image id, int64 ``(5, 2)`` points in the
        order of :data:`~mcfa_mm.datasets.metainfo.LANDMARK_NAMES`.
    """
    rows, _ = _parse_rows(path, len(LANDMARK_HEADER), LANDMARK_HEADER, True,
                          None, skip_invalid, skipped)
    return {k: v.reshape(-1, 2) for k, v in rows.items()}


def parse_partition_file(path: str,
                         skip_invalid: bool = False,
                         skipped: Optional[List[str]] = None
                         ) -> Dict[str, int]:
    """Parse ``list_eval_partition.txt``: no header, ``id p``.

    Args:
        path (str): The partition file.
        skip_invalid (bool): Drop bad rows instead of raising.
        skipped (list[str], optional): Receives the messages of dropped rows.

    Returns:
        dict[str, int]: Per image id, 0 (train), 1 (val) or 2 (test).
    """

    def check(values: np.ndarray) -> Optional[str]:
        if int(values[0]) not in PARTITIONS.values():
            return f'partition must be 0, 1 or 2, got {int(values[0])}'
        return None

    rows, _ = _parse_rows(path, 1, None, False, check, skip_invalid, skipped)
    return {k: int(v[0]) for k, v in rows.items()}


def parse_identity_file(path: str,
                        skip_invalid: bool = False,
                        skipped: Optional[List[str]] = None
                        ) -> Dict[str, int]:
    """Parse ``identity_*.txt``: no header, ``id identity``.

    Args:
        path (str): The identity file.
        skip_invalid (bool): Drop bad rows instead of raising.
        skipped (list[str], optional): Receives the messages of dropped rows.

    Returns:
        dict[str, int]: Per image id, its integer identity.
    """
    rows, _ = _parse_rows(path, 1, None, False, None, skip_invalid, skipped)
    return {k: int(v[0]) for k, v in rows.items()}


def check_same_ids(ref_ids, ref_path: str, other_ids, other_path: str,
                   skip_invalid: bool = False,
                   skipped: Optional[List[str]] = None) -> List[str]:
    """Check that every id of ``ref_ids`` also has a row in another file.

    Args:
        ref_ids (Iterable[str]): Ids listed in ``ref_path``.
        ref_path (str): The file that lists them.
        other_ids (Container[str]): Ids of ``other_path``.
        other_path (str): The file that should list them too.
        skip_invalid (bool): Return the missing ids instead of raising.
        skipped (list[str], optional): Receives one message per missing id.

    Returns:
        list[str]: The ids of ``ref_ids`` missing from ``other_ids``.
    """
    missing = [i for i in ref_ids if i not in other_ids]
    if missing and not skip_invalid:
        more = f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''
        raise AnnotationError(
            ref_path, None, f'image id {missing[0]!r} has no row in '
            f'{other_path}{more}')
    if skipped is not None:
        skipped.extend(f'{ref_path}: image id {i!r} has no row in '
                       f'{other_path}' for i in missing)
    return missing


def write_annotation_file(path: str,
                          rows: Dict[str, Sequence[int]],
                          header: Optional[Sequence[str]] = None,
                          width: int = 0) -> None:
    """Write an annotation file in the official CelebA format.

    The writer of what the parsers above read: with a ``header`` the file
    starts with the row count and the header line (the attribute names,
    :data:`BBOX_HEADER` or :data:`LANDMARK_HEADER`); without one (partition
    and identity files) it holds the rows only. LF line ends.

    Args:
        path (str): The file to write (its folder is created).
        rows (dict[str, Sequence[int]]): ``image id -> values``, in order.
        header (Sequence[str], optional): The names of line 2.
        width (int): Right-align each value to this width (CelebA's
            attribute files use 2: `` 1`` and ``-1``).
    """
    lines = [] if header is None else [str(len(rows)), ' '.join(header)]
    lines += [
        ' '.join([image_id] + [f'{int(v):{width}d}' for v in values])
        for image_id, values in rows.items()
    ]
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    with open(path, 'w', encoding='ascii', newline='\n') as file:
        file.write(''.join(line + '\n' for line in lines))
