"""Hypothesis strategies that damage files as the world damages them, and
the hang guard of the fuzz suite.

``mutated_bytes`` works on any file (truncation, bit flips, inserted,
deleted, repeated and overwritten bytes); ``mutated_text`` on the
whitespace-separated annotation formats (wrong column counts, hostile
numbers, negative sizes, CRLF, byte-order marks, lost and repeated lines);
``benign_text`` only changes what the formats allow (line ends, BOM,
padding), so its files must load exactly as the original.
"""
import contextlib
import re
import signal
import struct
import zlib
from typing import Iterator, List

from hypothesis import strategies as st

#: Seconds one example may take before it counts as a hang.
HANG_SECONDS = 20

#: Field values that are not what a column holds: floats, NaN and inf,
#: numbers of every size up to 400 digits, other digit systems, invisible
#: characters, signs alone.
HOSTILE_TOKENS = (
    '', '0', '-0', '+1', '-1', '2', '-2', '3', '1.0', '1.5', '-1.5', '1e3',
    '1e309', 'nan', 'NaN', '-nan', 'inf', '-inf', 'Infinity', '0x1F',
    '1_000', '007', '9' * 18, '9' * 19, '-' + '9' * 19,
    '9223372036854775807', '9223372036854775808', '-9223372036854775809',
    '18446744073709551616', '9' * 400, '-2147483649', '\u00b2', '\u0663',
    '\uff11', '\u00bd', '\x00', '\ufeff', '\u00a0', '\u2028', '\x85', '-',
    '+', '--1', '1-', 'None', 'true', '\u00e9t\u00e9.jpg')

_BOM = b'\xef\xbb\xbf'
_NEWLINE = re.compile(rb'\r\n|\r|\n')


class Hang(BaseException):
    """An example ran past :data:`HANG_SECONDS`. A ``BaseException``, so
    that the ``except Exception`` of the code under test cannot turn it
    into an ordinary error."""


@contextlib.contextmanager
def no_hang(seconds: float = HANG_SECONDS) -> Iterator[None]:
    """Raise :class:`Hang` in the block after ``seconds`` (SIGALRM: main
    thread, POSIX; elsewhere the block simply runs)."""
    if not hasattr(signal, 'setitimer'):
        yield
        return

    def alarm(signum, frame):
        raise Hang(f'no result after {seconds} s')

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def count_lines(data: bytes) -> int:
    """Lines of ``data`` as an editor numbers them (LF, CRLF or CR end a
    line; a last line without its end still counts)."""
    return len(_NEWLINE.split(data))


@st.composite
def mutated_bytes(draw, seed: bytes, max_ops: int = 4) -> bytes:
    """``seed`` damaged by 1 to ``max_ops`` byte-level edits."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(
            ('truncate', 'flip', 'overwrite', 'insert', 'delete', 'repeat',
             'append')))
        where = draw(st.integers(0, max(0, len(data) - 1)))
        if op == 'truncate':
            del data[where:]
        elif op == 'flip' and data:
            data[where] ^= 1 << draw(st.integers(0, 7))
        elif op == 'overwrite' and data:
            chunk = draw(st.binary(min_size=1, max_size=8))
            data[where:where + len(chunk)] = chunk
        elif op == 'insert':
            data[where:where] = draw(st.binary(min_size=1, max_size=64))
        elif op == 'delete':
            del data[where:where + draw(st.integers(1, 64))]
        elif op == 'repeat':
            data[where:where] = data[where:where + draw(st.integers(1, 256))]
        else:
            data += draw(st.binary(min_size=1, max_size=64))
    return bytes(data)


def _split_lines(seed: bytes) -> List[List[str]]:
    """The fields of each line of an ASCII annotation file."""
    return [line.split(' ') for line in seed.decode('ascii').split('\n')]


@st.composite
def mutated_text(draw, seed: bytes, max_ops: int = 4) -> bytes:
    """An annotation file damaged by 1 to ``max_ops`` edits of its rows,
    fields and encoding, sometimes also at the byte level."""
    lines = _split_lines(seed)
    crlf = bom = False
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(
            ('token', 'negative', 'huge', 'drop_field', 'add_field',
             'drop_line', 'repeat_line', 'swap_lines', 'blank_line',
             'count', 'truncate_line', 'crlf', 'bom', 'tabs')))
        row = draw(st.integers(0, max(0, len(lines) - 1)))
        fields = lines[row] if lines else []
        column = draw(st.integers(0, max(0, len(fields) - 1)))
        if op == 'crlf':
            crlf = True
        elif op == 'bom':
            bom = True
        elif not lines:
            lines.append([draw(st.sampled_from(HOSTILE_TOKENS))])
        elif op == 'token' and fields:
            fields[column] = draw(st.sampled_from(HOSTILE_TOKENS))
        elif op == 'negative' and fields:
            fields[column] = '-' + fields[column].lstrip('-')
        elif op == 'huge' and fields:
            fields[column] = str(draw(st.integers(2**31, 2**200)))
        elif op == 'drop_field' and fields:
            del fields[column]
        elif op == 'add_field':
            fields.insert(column, draw(st.sampled_from(HOSTILE_TOKENS)))
        elif op == 'drop_line':
            del lines[row]
        elif op == 'repeat_line':
            lines.insert(row, list(fields))
        elif op == 'swap_lines':
            other = draw(st.integers(0, len(lines) - 1))
            lines[row], lines[other] = lines[other], lines[row]
        elif op == 'blank_line':
            lines.insert(row, [draw(st.sampled_from(
                ('', ' ', '\t', '\u00a0', '\x0b')))])
        elif op == 'count':
            lines[0] = [str(draw(st.integers(-10, 10**6)))]
        elif op == 'truncate_line' and fields:
            text = ' '.join(fields)
            lines[row] = [text[:draw(st.integers(0, len(text)))]]
        elif op == 'tabs':
            lines[row] = ['\t'.join(fields)]
    data = '\n'.join(' '.join(fields) for fields in lines).encode('utf-8')
    if crlf:
        data = data.replace(b'\n', b'\r\n')
    if bom:
        data = _BOM + data
    if draw(st.booleans()):
        data = draw(mutated_bytes(data, max_ops=2))
    return data


@st.composite
def benign_text(draw, seed: bytes) -> bytes:
    """``seed`` with only what the formats allow changed: CRLF or CR line
    ends, a byte-order mark, padding and tabs between fields, trailing
    spaces, blank lines at the end."""
    lines = _split_lines(seed)
    separator = draw(st.sampled_from((' ', '  ', '\t', ' \t ')))
    trailing = draw(st.sampled_from(('', ' ', '\t')))
    text = '\n'.join(separator.join(f for f in fields if f) + trailing
                     if any(fields) else '' for fields in lines)
    text += '\n' * draw(st.integers(0, 3))
    data = text.encode('ascii')
    newline = draw(st.sampled_from((b'\n', b'\r\n', b'\r')))
    data = data.replace(b'\n', newline)
    if draw(st.booleans()):
        data = _BOM + data
    return data


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return (struct.pack('>I', len(body)) + kind + body +
            struct.pack('>I', zlib.crc32(kind + body) & 0xffffffff))


def with_declared_size(data: bytes, width: int, height: int) -> bytes:
    """A PNG or JPEG whose header declares ``width`` x ``height`` and whose
    pixel data is unchanged (so it decodes to at most the old size).

    PNG: IHDR's 32-bit fields, its CRC redone; JPEG: the first SOF
    marker's 16-bit fields (``width`` and ``height`` taken mod 2**16).
    """
    if data[:8] == b'\x89PNG\r\n\x1a\n':
        body = struct.pack('>II', width % 2**32, height % 2**32) + data[24:29]
        return data[:8] + _png_chunk(b'IHDR', body) + data[33:]
    sof = next(
        (i for i in range(2, len(data) - 9)
         if data[i] == 0xff and data[i + 1] in (0xc0, 0xc1, 0xc2)), None)
    if sof is None:
        raise ValueError('no SOF marker')
    return (data[:sof + 5] + struct.pack('>HH', height % 2**16,
                                         width % 2**16) + data[sof + 9:])
