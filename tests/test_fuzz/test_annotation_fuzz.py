"""Property: every annotation parser, on any bytes, either loads a valid
result or raises ``AnnotationError`` naming the file and a line of it.

Seeds are the five files of the project's generated demo data set
(``demo_data_root``); see ``conftest.py`` for the profiles (``ci`` by
default, ``HYPOTHESIS_PROFILE=long`` for long runs).
"""
import re
from typing import Any, Callable, Dict, List

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from mcfa_mm.datasets import annotation_files as files
from mcfa_mm.datasets.annotation_files import AnnotationError
from tests.test_fuzz.strategies import (benign_text, count_lines,
                                        mutated_bytes, mutated_text,
                                        no_hang)

PARSERS: Dict[str, Callable] = {
    kind: getattr(files, f'parse_{kind}_file')
    for kind in ('attr', 'bbox', 'landmark', 'partition', 'identity')
}
#: Formats whose first two lines are the row count and a header.
WITH_HEADER = ('attr', 'bbox', 'landmark')


def _check_rows(kind: str, rows: Dict[str, Any], width: int = 0) -> None:
    """What a loaded result of each format guarantees."""
    for image_id, value in rows.items():
        assert isinstance(image_id, str) and image_id
        assert image_id == image_id.strip() and len(image_id.split()) == 1
        if kind in ('partition', 'identity'):
            assert isinstance(value, int)
            if kind == 'partition':
                assert value in (0, 1, 2)
            continue
        assert isinstance(value, np.ndarray) and value.dtype == np.int64
        if kind == 'attr':
            assert value.shape == (width, ) and set(value) <= {1, -1}
        elif kind == 'bbox':
            assert value.shape == (4, ) and (value[2:] > 0).all()
        else:
            assert value.shape == (5, 2)


def outcome(message: str) -> str:
    """An error's kind, for ``--hypothesis-show-statistics``."""
    message = message.split(': ', 1)[-1]
    return 'error: ' + re.sub(r"\(.*\)|'.*'|[0-9]+", 'N', message)[:40]


def parse_or_error(kind: str, path: str, data: bytes,
                   skip_invalid: bool = False) -> Any:
    """Parse ``path`` (holding ``data``), checking the property.

    Returns:
        The parsed rows, or None if the parser raised (correctly).
    """
    skipped: List[str] = []
    try:
        with no_hang():
            result = PARSERS[kind](path, skip_invalid=skip_invalid,
                                   skipped=skipped)
    except AnnotationError as error:
        assert error.path == path and str(error).startswith(f'{path}, line')
        # a missing line (the header) is the one after the last
        assert 1 <= error.line <= count_lines(data) + 1, str(error)
        if skip_invalid:
            assert kind in WITH_HEADER, f'a row error raised: {error}'
        event(outcome(str(error)[len(path):]))
        return None
    event('loaded, rows skipped' if skipped else 'loaded')
    for message in skipped:
        assert message.startswith(f'{path}')
    if kind == 'attr':
        names, rows = result
        assert names and len(set(names)) == len(names)
        _check_rows(kind, rows, len(names))
        return result
    _check_rows(kind, result)
    return result


@pytest.mark.parametrize('kind', sorted(PARSERS))
@given(data=st.binary(max_size=2048))
def test_random_bytes(kind, data, write_file):
    parse_or_error(kind, write_file(f'{kind}.txt', data), data)


@pytest.mark.parametrize('kind', sorted(PARSERS))
@given(data=st.data())
def test_mutated_files(kind, data, write_file, annotation_seeds):
    """Damaged rows, fields, numbers and encodings: without skip_invalid
    every problem raises; with it only a bad header does."""
    content = data.draw(mutated_text(annotation_seeds[kind]),
                        label='content')
    path = write_file(f'{kind}.txt', content)
    parse_or_error(kind, path, content)
    parse_or_error(kind, path, content, skip_invalid=True)


@pytest.mark.parametrize('kind', sorted(PARSERS))
@given(data=st.data())
def test_damaged_bytes(kind, data, write_file, annotation_seeds):
    """Truncated, bit-flipped, spliced files."""
    content = data.draw(mutated_bytes(annotation_seeds[kind]),
                        label='content')
    parse_or_error(kind, write_file(f'{kind}.txt', content), content)


@pytest.mark.parametrize('kind', sorted(PARSERS))
@given(data=st.data())
def test_benign_variants_load_the_same(kind, data, write_file,
                                       annotation_seeds):
    """CRLF / CR line ends, a BOM, padding and blank lines change nothing
    of what loads."""
    seed = annotation_seeds[kind]
    expected = PARSERS[kind](write_file(f'{kind}_seed.txt', seed))
    content = data.draw(benign_text(seed), label='content')
    loaded = parse_or_error(kind, write_file(f'{kind}.txt', content),
                            content)
    if kind == 'attr':
        assert loaded[0] == expected[0]
        loaded, expected = loaded[1], expected[1]
    assert list(loaded) == list(expected)
    for image_id, value in expected.items():
        np.testing.assert_array_equal(loaded[image_id], value)


@given(data=st.data())
def test_read_attr_names(data, write_file, annotation_seeds):
    content = data.draw(
        st.one_of(st.binary(max_size=512),
                  mutated_text(annotation_seeds['attr'])),
        label='content')
    path = write_file('names.txt', content)
    try:
        with no_hang():
            names = files.read_attr_names(path)
    except AnnotationError as error:
        assert error.path == path and str(error).startswith(f'{path}, line')
        return
    assert all(isinstance(name, str) and name for name in names)
