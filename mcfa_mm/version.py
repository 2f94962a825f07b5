"""Version of mcfa-mm."""

__version__ = '0.1.0'


def parse_version_info(version_str: str) -> tuple:
    """Parse a ``MAJOR.MINOR.PATCH`` string into a tuple of ints.

    Args:
        version_str (str): The version string.

    Returns:
        tuple: e.g. ``(0, 1, 0)``.
    """
    return tuple(int(part) for part in version_str.split('.')[:3])


version_info = parse_version_info(__version__)
