"""Install mcfa-mm: MCFA (Zhuang et al., ICPR 2018) as an MMDetection plugin.

``pip install .`` and ``pip wheel .`` build a self-contained package: the
configs, the tools, the model index and the shipped checkpoints travel
inside it as ``mcfa_mm/.mim/`` (the layout of OpenMMLab's own packages,
which ``mim train mcfa_mm CONFIG`` reads), so that ``init_face_model()`` and
every config work from any directory. ``pip install -e .`` links the same
folder to the checkout instead of copying it.
"""
import os
import os.path as osp
import platform
import re
import shutil
import sys
import warnings

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
#: What goes into mcfa_mm/.mim: folders and files of the checkout.
MIM_FILES = ('configs', 'tools', 'checkpoints', 'model-index.yml')
#: Of checkpoints/, only what the model zoo loads: the weights and the
#: fitted attribute thresholds (the training logs stay in the repository).
CHECKPOINT_PATTERNS = ('*.pth', '*_attribute_thresholds.json')


def read_version() -> str:
    """Read ``__version__`` from ``mcfa_mm/version.py`` without importing."""
    with open(osp.join(HERE, 'mcfa_mm', 'version.py')) as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def read_requirements(name: str) -> list:
    """Read a requirements file, dropping comments and blank lines."""
    with open(osp.join(HERE, 'requirements', name)) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


def _copy(src: str, dst: str, name: str) -> None:
    """Copy a file or folder, without caches (and, for ``checkpoints``,
    only :data:`CHECKPOINT_PATTERNS`)."""
    if osp.isfile(src):
        shutil.copyfile(src, dst)
        return
    skip = shutil.ignore_patterns('__pycache__', '*.pyc', '*.pyo')
    if name == 'checkpoints':
        import fnmatch

        def skip(folder, names):  # noqa: F811
            return [
                n for n in names
                if osp.isfile(osp.join(folder, n)) and not any(
                    fnmatch.fnmatch(n, p) for p in CHECKPOINT_PATTERNS)
            ]

    shutil.copytree(src, dst, ignore=skip)


def add_mim_extension() -> None:
    """Put the configs, tools, model index and checkpoints under
    ``mcfa_mm/.mim`` for the package to carry, as MMDetection's setup.py
    does.

    Links to the checkout for an editable install (``develop``, or
    ``editable_wheel`` under PEP 660), so that edits show at once; copies
    for a wheel or an sdist, so that the package stands alone. Other
    commands (``egg_info``, ``dist_info``, ...) leave the folder as it is.
    """
    commands = set(sys.argv[1:])
    if commands & {'develop', 'editable_wheel'}:
        # symlinks need privileges on Windows
        mode = 'copy' if platform.system() == 'Windows' else 'symlink'
    elif commands & {'bdist_wheel', 'sdist', 'build', 'install'}:
        mode = 'copy'
    else:
        return
    mim_path = osp.join(HERE, 'mcfa_mm', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(HERE, name)
        if not osp.exists(src):
            # building from an sdist: .mim already holds the copies
            continue
        dst = osp.join(mim_path, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), dst)
        elif mode == 'copy':
            _copy(src, dst, name)
        else:
            warnings.warn(f'cannot put {src} into {mim_path}')


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mcfa-mm',
        version=read_version(),
        description=('MCFA: multi-task cascaded CNN for facial attribute '
                     'classification, as an MMDetection 3.x plugin'),
        long_description=open(osp.join(HERE, 'README.md')).read(),
        long_description_content_type='text/markdown',
        license='Apache License 2.0',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
        # mcfa_mm/.mim/**, as MANIFEST.in lists it
        include_package_data=True,
        python_requires='>=3.9',
        install_requires=read_requirements('runtime.txt'),
        extras_require={'tests': read_requirements('tests.txt')},
        entry_points={
            'console_scripts':
            ['mcfa-faces = mcfa_mm.apis.face_cli:console_main']
        },
        zip_safe=False,
    )
