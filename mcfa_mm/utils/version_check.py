"""Fail early, and clearly, when the OpenMMLab stack has the wrong versions."""
from importlib import metadata
from typing import Dict, Tuple

from packaging.version import Version

#: Accepted ranges, ``[minimum, maximum)``, of the stack mcfa-mm is built on.
#: mmdet 3.3.0 itself accepts only mmcv < 2.2.0.
REQUIRED_VERSIONS: Dict[str, Tuple[str, str]] = {
    'mmcv': ('2.0.0', '2.2.0'),
    'mmengine': ('0.10.0', '1.0.0'),
    'mmdet': ('3.3.0', '3.4.0'),
}

_INSTALL_HINT = ('Install the pinned stack with `bash scripts/setup_venv.sh` '
                 '(see README.md): mmcv==2.1.0 (built from source with ops), '
                 'mmengine==0.10.7, mmdet==3.3.0.')


def installed_version(package: str) -> str:
    """Return the installed version of ``package``.

    Args:
        package (str): Distribution name, e.g. ``'mmcv'``.

    Returns:
        str: The version string.

    Raises:
        ImportError: If the package is not installed (``mmcv-lite`` does not
            count: mmdet needs ``mmcv.ops``).
    """
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        lite = ''
        if package == 'mmcv':
            try:
                lite = (f' (found mmcv-lite {metadata.version("mmcv-lite")}, '
                        'which lacks the mmcv.ops that mmdet imports)')
            except metadata.PackageNotFoundError:
                pass
        raise ImportError(
            f'mcfa_mm needs {package}, which is not installed{lite}. '
            f'{_INSTALL_HINT}') from None


def check_versions(required: Dict[str, Tuple[str, str]] = REQUIRED_VERSIONS,
                   ) -> None:
    """Check that mmcv, mmengine and mmdet are within the supported ranges.

    Args:
        required (dict): Package name -> ``(minimum, maximum)``; the maximum
            is exclusive.

    Raises:
        ImportError: Naming every package that is missing or out of range.
    """
    problems = []
    for package, (minimum, maximum) in required.items():
        try:
            found = installed_version(package)
        except ImportError as error:
            problems.append(str(error).split('. ')[0])
            continue
        if not Version(minimum) <= Version(found) < Version(maximum):
            problems.append(f'{package}=={found} is installed, but mcfa_mm '
                            f'needs {minimum} <= {package} < {maximum}')
    if problems:
        raise ImportError('Incompatible OpenMMLab stack: ' +
                          '; '.join(problems) + '. ' + _INSTALL_HINT)
