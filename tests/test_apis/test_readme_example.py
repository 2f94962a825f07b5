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
