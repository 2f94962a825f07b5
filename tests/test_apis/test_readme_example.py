"""The README's inference example runs as written, on the shipped model."""
import glob
import os.path as osp
import re

README = osp.join(osp.dirname(__file__), '..', '..', 'README.md')
REPO = osp.dirname(osp.abspath(README))


def _readme_example() -> str:
    text = open(README).read()
    start = text.index('## Find faces, landmarks and attributes in a photo')
    return re.search(r'```python\n(.*?)```', text[start:], re.S).group(1)


def test_readme_example_runs(demo_data_root, capsys, monkeypatch):
    code = _readme_example()
    image = re.search(r"image = '([^']+)'", code).group(1)
    monkeypatch.chdir(REPO)
    if not osp.isfile(image):
        # no ../shared/data here: a generated photo stands in for the wild one
        demo = sorted(glob.glob(f'{demo_data_root}/Img/*/*.jpg'))[0]
        code = code.replace(f"image = '{image}'", f'image = {demo!r}')
    exec(compile(code, 'README.md', 'exec'), {})
    printed = capsys.readouterr().out.strip().splitlines()
    faces = [line for line in printed if re.match(
        r"\[-?\d+, -?\d+, \d+, \d+\] [\d.]+ \[\('\w+', [\d.]+\)", line)]
    if osp.isfile(image):
        # the shipped model finds the labelled face of the wild photo
        assert faces, printed


def _readme_block(marker: str) -> str:
    """The README's first python block that contains ``marker``."""
    for block in re.findall(r'```python\n(.*?)```', open(README).read(),
                            re.S):
        if marker in block:
            return block
    raise AssertionError(f'no python block with {marker!r} in README.md')


def test_readme_face_inferencer_example_runs(shipped_tiny, demo_data_root,
                                             tmp_path, capsys, monkeypatch):
    """The FaceInferencer example, on a folder of two photos (the tiny zoo
    stands in for the shipped model: 3 faces per photo)."""
    code = _readme_block('FaceInferencer()')
    photos = tmp_path / 'photos'
    photos.mkdir()
    for path in sorted(glob.glob(f'{demo_data_root}/Img/*/*.jpg'))[:2]:
        photos.joinpath(osp.basename(path)).write_bytes(
            open(path, 'rb').read())
    monkeypatch.chdir(tmp_path)
    exec(compile(code, 'README.md', 'exec'), {})
    printed = [
        line for line in capsys.readouterr().out.splitlines()
        if line.startswith('photos/')  # not MMEngine's log lines
    ]
    assert len(printed) == 6  # 2 photos, 3 faces each
    assert sorted(p.name for p in (tmp_path / 'outputs' / 'preds').iterdir()
                  ) == sorted(osp.splitext(p.name)[0] + '.json'
                              for p in photos.iterdir())
