import pytest

from mcfa_mm.utils.version_check import check_versions, installed_version


def test_installed_stack_passes():
    check_versions()


def test_out_of_range_names_package_and_fix():
    with pytest.raises(ImportError) as error:
        check_versions({'mmdet': ('3.4.0', '4.0.0'),
                        'mmcv': ('2.0.0', '2.2.0')})
    message = str(error.value)
    assert 'mmdet==3.3.0 is installed' in message
    assert '3.4.0 <= mmdet < 4.0.0' in message
    assert 'mmcv' not in message.split('.', 1)[0]
    assert 'scripts/setup_venv.sh' in message


def test_missing_package():
    with pytest.raises(ImportError, match='not-a-real-package'):
        installed_version('not-a-real-package')
