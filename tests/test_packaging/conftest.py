"""Markers of the packaging tests."""


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'slow: builds and installs the wheel (about a minute); '
        'deselect with -m "not slow"')
