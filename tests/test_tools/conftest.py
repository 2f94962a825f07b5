"""Fixtures of the tests of tools/analysis_tools: the scripts as modules.

Generated data in the official layouts (``fake_roots``, ``data_env``) comes
from tests/conftest.py."""
from types import ModuleType
from typing import Callable

import pytest


@pytest.fixture(scope='session')
def load_tool(load_script) -> Callable[[str], ModuleType]:
    """``load_tool('attribute_study')`` imports
    tools/analysis_tools/attribute_study.py."""
    return lambda name: load_script(f'tools/analysis_tools/{name}.py')
