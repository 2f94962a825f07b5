"""Temporary files of checkpoint saves killed midway are removed by the
next save of a later process (they are as large as a checkpoint)."""
import os
import subprocess
import sys
import time

import mcfa_mm.utils.atomic_file_backend as atomic
from mcfa_mm.utils import AtomicLocalBackend

#: A temporary file of a save of iter_4.pth, as ``tempfile.mkstemp`` names it
KILLED_SAVE = '.iter_4.pth.k3j_x9a2.tmp'


def _write(path, mtime=None) -> None:
    path.write_bytes(b'half a checkpoint')
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def test_save_removes_temporary_files_older_than_the_process(tmp_path):
    before = atomic.PROCESS_START - 60
    _write(tmp_path / KILLED_SAVE, before)
    # written since this process started: maybe a save still running
    _write(tmp_path / '.iter_6.pth.abcdefgh.tmp')
    # not a name of the backend's temporary files, or no temporary file
    _write(tmp_path / '.notes.tmp', before)
    _write(tmp_path / 'iter_2.pth', before)
    AtomicLocalBackend().put(b'checkpoint', str(tmp_path / 'iter_8.pth'))
    assert sorted(os.listdir(tmp_path)) == [
        '.iter_6.pth.abcdefgh.tmp', '.notes.tmp', 'iter_2.pth', 'iter_8.pth'
    ]


def test_resumed_process_removes_what_the_killed_one_left(tmp_path):
    """The killed run's file is newer than this test process but older than
    the process that saves next, as after ``tools/train.py --resume``."""
    _write(tmp_path / KILLED_SAVE)
    time.sleep(0.05)  # a coarse file system clock must see it older
    subprocess.run([
        sys.executable, '-c',
        'import sys; from mcfa_mm.utils.atomic_file_backend import '
        'atomic_write; atomic_write(b"checkpoint", sys.argv[1])',
        str(tmp_path / 'iter_4.pth')
    ],
                   check=True,
                   timeout=120)
    assert os.listdir(tmp_path) == ['iter_4.pth']


def test_remove_stale_temp_files_returns_what_it_removed(tmp_path):
    _write(tmp_path / KILLED_SAVE, atomic.PROCESS_START - 1)
    assert atomic.remove_stale_temp_files(str(tmp_path)) == [
        str(tmp_path / KILLED_SAVE)
    ]
    assert atomic.remove_stale_temp_files(str(tmp_path)) == []
