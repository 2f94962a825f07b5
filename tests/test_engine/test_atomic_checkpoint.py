"""Checkpoint writes are atomic: a save that dies midway leaves the
checkpoint's name empty (or its previous content), never half a file."""
import os

import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.runner.checkpoint import save_checkpoint

import mcfa_mm.utils.atomic_file_backend as atomic
from mcfa_mm.utils import AtomicLocalBackend, load_weights_only

ARGS = dict(backend='atomic_local')


class _Killed(Exception):
    pass


def _die_midway(file, data, chunk_size=None):
    file.write(data[:len(data) // 2])
    file.flush()
    raise _Killed


def test_config_name_gives_the_atomic_backend(tmp_path):
    assert isinstance(get_file_backend(str(tmp_path), backend_args=ARGS),
                      AtomicLocalBackend)


def test_mmengine_save_checkpoint_goes_through_it(tmp_path, monkeypatch):
    path = str(tmp_path / 'iter_2.pth')
    save_checkpoint({'state_dict': {'w': torch.ones(3)}}, path,
                    backend_args=ARGS)
    assert torch.equal(load_weights_only(path)['state_dict']['w'],
                       torch.ones(3))
    monkeypatch.setattr(atomic, 'write_chunks', _die_midway)
    with pytest.raises(_Killed):
        save_checkpoint({'state_dict': {'w': torch.zeros(1000)}}, path,
                        backend_args=ARGS)
    # the old checkpoint is intact and no temporary file is left
    assert torch.equal(load_weights_only(path)['state_dict']['w'],
                       torch.ones(3))
    assert os.listdir(tmp_path) == ['iter_2.pth']


def test_new_name_stays_absent_when_the_write_dies(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic, 'write_chunks', _die_midway)
    with pytest.raises(_Killed):
        AtomicLocalBackend().put(b'x' * 1000, str(tmp_path / 'iter_4.pth'))
    assert os.listdir(tmp_path) == []


def test_put_text_and_folders(tmp_path):
    path = tmp_path / 'new' / 'last_checkpoint'
    AtomicLocalBackend().put_text('work/iter_4.pth', path)
    assert path.read_text() == 'work/iter_4.pth'
