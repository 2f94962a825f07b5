"""Parsers for annotation files in the official CelebA formats.

Every parser splits lines on whitespace, so it reads both the files of
``../shared/data`` (LF, single spaces) and CelebA's distributed files (CRLF,
padded numbers, a trailing space after the attribute names); a UTF-8 byte
order mark is dropped. Each returns a dict ``image id -> values`` in file
order.

Errors raise :class:`AnnotationError`, whose message names the file and the
1-based line number: also for bytes that are not UTF-8 and for numbers that
are not integers or do not fit int64 (``nan``, ``1e3``, 19+ digits). With
``skip_invalid=True`` a bad *row* is dropped instead and its message is
appended to the optional ``skipped`` list; a bad *header* is always an
error, because no row of the file can be trusted then. The property-based
tests of ``tests/test_fuzz`` hold the parsers to this.
"""
import os
import os.path as osp
import re
from typing import (Callable, Dict, Iterator, List, NamedTuple, Optional,
                    Sequence, Tuple)

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


#: An integer field: ASCII digits with an optional sign, short enough for
#: int64 with room to spare (no value of these formats comes near 10**18).
_INTEGER = re.compile(r'[+-]?[0-9]{1,18}\Z')
_BOM = b'\xef\xbb\xbf'
#: Longest piece of a bad field quoted in an error message.
_QUOTE_LIMIT = 40


class _Line(NamedTuple):
    """A non-blank line: its 1-based number and its raw bytes (decoded by
    :func:`_fields`, inside the caller's error handling)."""
    number: int
    raw: bytes


def _numbered_lines(path: str) -> Iterator[_Line]:
    """Yield the non-blank lines of a file with their 1-based numbers.

    Lines end at LF, CRLF or a lone CR (Python's universal newlines), so
    reported numbers match what an editor shows; blank lines (e.g. a final
    empty line) are skipped but still counted. A UTF-8 byte-order mark
    (Windows editors write one) is dropped. The file is read as bytes, so a
    line that is not UTF-8 fails in :func:`_fields` naming its line, not as
    a ``UnicodeDecodeError`` of the whole file.
    """
    number = 0
    with open(path, 'rb') as f:
        for chunk in f:
            if number == 0 and chunk.startswith(_BOM):
                chunk = chunk[len(_BOM):]
            chunk = chunk[:-1] if chunk.endswith(b'\n') else chunk
            chunk = chunk[:-1] if chunk.endswith(b'\r') else chunk
            for raw in chunk.split(b'\r'):  # old Mac line ends
                number += 1
                if raw.strip():
                    yield _Line(number, raw)


def _quote(text: str) -> str:
    """``repr`` of a field, cut short for an error message."""
    if len(text) > _QUOTE_LIMIT:
        text = text[:_QUOTE_LIMIT] + '...'
    return repr(text)


def _fields(path: str, line: _Line) -> List[str]:
    """The whitespace-split fields of a line (possibly none).

    Raises:
        AnnotationError: The line is not UTF-8 text.
    """
    try:
        return line.raw.decode('utf-8').split()
    except UnicodeDecodeError as err:
        raise AnnotationError(
            path, line.number, f'not UTF-8 text (byte '
            f'{line.raw[err.start]:#04x} at column {err.start + 1})') from None


def _next_fields(path: str,
                 lines: Iterator[_Line]) -> Optional[Tuple[int, List[str]]]:
    """``(number, fields)`` of the next line with fields, or None."""
    for line in lines:
        fields = _fields(path, line)
        if fields:
            return line.number, fields
    return None


def _to_ints(path: str, lineno: int, values: List[str]) -> np.ndarray:
    """Parse integer fields, raising :class:`AnnotationError` if one is not
    an integer (``nan``, ``1.5``, ``1e3``, 19 digits or more)."""
    for value in values:
        if not _INTEGER.match(value):
            raise AnnotationError(path, lineno,
                                  f'expected integers, got {_quote(value)}')
    return np.array([int(v) for v in values], dtype=np.int64)


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
        first = _next_fields(path, lines)
        if first is None:
            raise AnnotationError(path, 1, 'empty file: line 1 must hold '
                                  'the row count')
        if len(first[1]) != 1:
            raise AnnotationError(path, first[0],
                                  'line 1 must hold only the row count')
        count = int(_to_ints(path, first[0], first[1])[0])
        second = _next_fields(path, lines)
        if second is None:
            raise AnnotationError(path, first[0] + 1, 'missing header line')
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
    for line in lines:
        lineno = line.number
        num_rows += 1  # it holds bytes other than ASCII whitespace
        try:
            fields = _fields(path, line)
            if not fields:  # only Unicode whitespace (NEL...): blank
                num_rows -= 1
                continue
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
                                      f'duplicate image id {_quote(img_id)}')
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
    first = _next_fields(path, lines)
    second = _next_fields(path, lines)
    if second is None:
        raise AnnotationError(path, first[0] + 1 if first else 1,
                              'missing header line')
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
