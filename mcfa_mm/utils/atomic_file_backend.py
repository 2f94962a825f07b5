"""A local file backend whose writes are atomic: checkpoints are written to
a temporary file beside the target and renamed over it.

MMEngine's ``LocalBackend.put`` opens the checkpoint's final name and
writes into it, so a run killed while saving (``SIGKILL``, out of memory,
a lost node) leaves a truncated ``iter_N.pth``. With this backend a
checkpoint name holds either nothing or a complete file: the bytes go to
``.<name>.<random>.tmp`` in the same folder, are flushed to disk, and
``os.replace`` (atomic on POSIX and Windows) gives them the name. The
``CheckpointHook`` writes ``last_checkpoint`` (what ``--resume`` reads) only
after the save returned, so it never names an incomplete file.

Configs choose it with ``backend_args=dict(backend='atomic_local')`` on the
``CheckpointHook`` (the default runtime does); importing :mod:`mcfa_mm`
registers it, and changes nothing else.
"""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

import mmengine
from mmengine.fileio import LocalBackend, register_backend


def atomic_write(data: Union[bytes, str], filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
    """Write ``data`` to ``filepath`` so that the name only ever holds a
    complete file.

    Args:
        data (bytes | str): The content (text is encoded).
        filepath (str | Path): The target; its folder is created.
        encoding (str): Encoding of text. Defaults to 'utf-8'.
    """
    if isinstance(data, str):
        data = data.encode(encoding)
    folder = osp.dirname(osp.abspath(filepath))
    mmengine.mkdir_or_exist(folder)
    fd, tmp_path = tempfile.mkstemp(
        dir=folder, prefix=f'.{osp.basename(filepath)}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as file:
            write_chunks(file, data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp_path, filepath)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


def write_chunks(file, data: bytes, chunk_size: int = 1 << 24) -> None:
    """Write ``data`` in chunks (tests slow this down to kill a save midway).

    Args:
        file: A binary file object.
        data (bytes): The content.
        chunk_size (int): Bytes per write. Defaults to 16 MiB.
    """
    for start in range(0, len(data), chunk_size):
        file.write(data[start:start + chunk_size])


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """MMEngine's ``LocalBackend`` with atomic ``put`` and ``put_text``."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes to ``filepath`` atomically (temporary file, rename).

        Args:
            obj (bytes): Data to be written.
            filepath (str | Path): Path to write data.
        """
        atomic_write(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically (temporary file, rename).

        Args:
            obj (str): Text to be written.
            filepath (str | Path): Path to write data.
            encoding (str): Encoding. Defaults to 'utf-8'.
        """
        atomic_write(obj, filepath, encoding)
