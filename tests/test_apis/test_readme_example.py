"""The README's inference example runs as written (on a tiny checkpoint)."""
import os
import os.path as osp
import re

import torch
from mmengine.config import Config

from mmdet.registry import MODELS

README = osp.join(osp.dirname(__file__), '..', '..', 'README.md')


def _readme_example() -> str:
    text = open(README).read()
    start = text.index('## Find faces, landmarks and attributes in a photo')
    return re.search(r'```python\n(.*?)```', text[start:], re.S).group(1)


def test_readme_example_runs(tmp_path, demo_data_root, capsys, monkeypatch):
    code = _readme_example()
    config = re.search(r"config = '([^']+)'", code).group(1)
    repo = osp.join(osp.dirname(README))
    monkeypatch.setenv('MCFA_DEMO_ROOT', demo_data_root)
    cfg = Config.fromfile(osp.join(repo, config))
    model = MODELS.build(cfg.model)
    checkpoint = str(tmp_path / 'epoch_12.pth')
    names = ['Bangs', 'Black_Hair', 'Blond_Hair', 'Eyeglasses', 'Goatee',
             'Smiling', 'Wearing_Hat', 'Male']
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=('face', ),
                                                attribute_names=names))),
               checkpoint)
    code = re.sub(r"checkpoint = '[^']+'", f"checkpoint = {checkpoint!r}",
                  code)
    code = code.replace("'data/demo_faces/",
                        repr(demo_data_root + '/')[:-1])
    code = code.replace(f"config = '{config}'",
                        f"config = {osp.join(repo, config)!r}")
    os.chdir(tmp_path)
    exec(compile(code, 'README.md', 'exec'), {})
    printed = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.match(r"\[-?\d+, -?\d+, \d+, \d+\] [\d.]+ \[\('\w+', ", printed)
