"""Keys for values pytest carries between its hooks and the fixtures."""
import pytest

from support.targets.settings import Settings

SETTINGS_KEY = pytest.StashKey[Settings]()
