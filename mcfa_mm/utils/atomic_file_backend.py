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

A save killed midway leaves its temporary file behind, as large as a
checkpoint. Each save first removes the files of that naming in its folder
last written before this process loaded this module: none can be a save
of this process, and the saves of a run killed before it (what
``--resume`` follows) are all older.

Configs choose it with ``backend_args=dict(backend='atomic_local')`` on the
``CheckpointHook`` (the default runtime does); importing :mod:`mcfa_mm`
registers it, and changes nothing else.
"""
import logging
import os
import os.path as osp
import re
import tempfile
import time
from pathlib import Path
from typing import List, Optional, Union

import mmengine
from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import print_log

#: When this process loaded this module (``import mcfa_mm`` does, before
#: training starts), as ``time.time()``: a temporary file last written
#: before it is no save of this process.
PROCESS_START = time.time()

#: Names of :func:`atomic_write`'s temporary files: ``.<name>.<random>.tmp``
#: with :func:`tempfile.mkstemp`'s 8 random characters.
TEMP_NAME = re.compile(r'^\..+\.[a-z0-9_]{8}\.tmp$')


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
    remove_stale_temp_files(folder)
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


def remove_stale_temp_files(folder: str,
                            before: Optional[float] = None) -> List[str]:
    """Remove the temporary files of saves killed midway.

    Only names of :func:`atomic_write`'s pattern (``.<name>.<random>.tmp``)
    last modified before ``before`` are removed: a file written since then
    may belong to a save still running.

    Args:
        folder (str): The folder of the checkpoints.
        before (float, optional): ``time.time()`` before which a file is
            stale. Defaults to :data:`PROCESS_START`.

    Returns:
        list[str]: The paths removed.
    """
    before = PROCESS_START if before is None else before
    removed = []
    for name in os.listdir(folder):
        path = osp.join(folder, name)
        if not TEMP_NAME.match(name) or not osp.isfile(path):
            continue
        try:
            if os.stat(path).st_mtime >= before:
                continue
            os.remove(path)
        except FileNotFoundError:  # another process removed it first
            continue
        removed.append(path)
    if removed:
        print_log(
            f'removed {len(removed)} temporary file(s) of saves that were '
            f'killed midway: {", ".join(sorted(removed))}',
            logger='current',
            level=logging.WARNING)
    return removed


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
