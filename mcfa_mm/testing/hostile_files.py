"""Hostile image files for tests and benchmarks."""
import os.path as osp
import struct
import zlib


def write_png_bomb(path: str, width: int = 20_000,
                   height: int = 20_000) -> int:
    """Write a ``width`` x ``height`` grey PNG of zeros: a decompression
    bomb of a few hundred KB (zlib squeezes the zero rows 1000:1) that
    decodes to ``width * height`` bytes. The rows are streamed through
    zlib, so the image is never held decoded here.

    Args:
        path (str): Where to write it.
        width (int): Declared width.
        height (int): Declared height.

    Returns:
        int: The file's size in bytes.
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack('>I', len(body)) + kind + body +
                struct.pack('>I', zlib.crc32(kind + body) & 0xffffffff))

    compressor = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte 0, then the pixels
    idat = b''.join(compressor.compress(row) for _ in range(height))
    idat += compressor.flush()
    with open(path, 'wb') as file:
        file.write(b'\x89PNG\r\n\x1a\n' + chunk(
            b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0)) +
            chunk(b'IDAT', idat) + chunk(b'IEND', b''))
    return osp.getsize(path)
