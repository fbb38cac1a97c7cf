"""Binds every feature file under features/ to the step definitions."""
import pytest
from pytest_bdd import scenarios

# A scenario's long waits count down on the terminal (support/plugins/fixtures.py).
pytestmark = pytest.mark.usefixtures("long_waits_count_down")

scenarios("")
