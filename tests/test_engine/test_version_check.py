import pytest

from mcfa_mm.utils import version_check
from mcfa_mm.utils.version_check import (REQUIRED_VERSIONS, check_versions,
                                         installed_version)


def test_installed_stack_passes():
    check_versions()


@pytest.fixture
def fake_versions(monkeypatch):
    """Pretend the given versions are installed (others are missing)."""

    def install(**versions):

        def version(package):
            if package not in versions:
                raise version_check.metadata.PackageNotFoundError(package)
            return versions[package]

        monkeypatch.setattr(version_check.metadata, 'version', version)

    return install


@pytest.mark.parametrize('mmdet', ['3.3.0', '3.3.9'])
def test_versions_inside_the_ranges_pass(fake_versions, mmdet):
    fake_versions(mmcv='2.1.0', mmengine='0.10.7', mmdet=mmdet)
    check_versions()


@pytest.mark.parametrize('package, version', [
    ('mmdet', '3.4.0'),  # the maximum is exclusive
    ('mmdet', '3.2.0'),
    ('mmcv', '2.2.0'),
    ('mmengine', '0.9.1'),
])
def test_out_of_range_names_package_range_and_fix(fake_versions, package,
                                                  version):
    installed = dict(mmcv='2.1.0', mmengine='0.10.7', mmdet='3.3.0')
    installed[package] = version
    fake_versions(**installed)
    with pytest.raises(ImportError) as error:
        check_versions()
    message = str(error.value)
    low, high = REQUIRED_VERSIONS[package]
    assert f'{package}=={version} is installed' in message
    assert f'{low} <= {package} < {high}' in message
    # only the package out of range is named as a problem (the install
    # hint after it lists the whole pinned stack)
    problems = message.split('Install the pinned stack')[0]
    others = set(installed) - {package}
    assert not any(f'{other}==' in problems for other in others)
    assert 'scripts/setup_venv.sh' in message


def test_the_real_installed_version_is_reported():
    """Against the installed stack: a range that excludes it names it."""
    found = installed_version('mmdet')
    with pytest.raises(ImportError, match=f'mmdet=={found} is installed'):
        check_versions({'mmdet': ('999.0.0', '1000.0.0')})


def test_missing_package():
    with pytest.raises(ImportError, match='not-a-real-package'):
        installed_version('not-a-real-package')


def test_mmcv_lite_is_named(fake_versions):
    fake_versions(**{'mmcv-lite': '2.1.0'})
    with pytest.raises(ImportError, match='mmcv-lite 2.1.0'):
        installed_version('mmcv')
