"""Install mcfa-mm: MCFA (Zhuang et al., ICPR 2018) as an MMDetection plugin."""
import os.path as osp
import re

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version() -> str:
    """Read ``__version__`` from ``mcfa_mm/version.py`` without importing."""
    with open(osp.join(HERE, 'mcfa_mm', 'version.py')) as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def read_requirements(name: str) -> list:
    """Read a requirements file, dropping comments and blank lines."""
    with open(osp.join(HERE, 'requirements', name)) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


setup(
    name='mcfa-mm',
    version=read_version(),
    description=('MCFA: multi-task cascaded CNN for facial attribute '
                 'classification, as an MMDetection 3.x plugin'),
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
    python_requires='>=3.9',
    install_requires=read_requirements('runtime.txt'),
    extras_require={'tests': read_requirements('tests.txt')},
    zip_safe=False,
)
