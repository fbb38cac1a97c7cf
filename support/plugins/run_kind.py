"""What kind of pytest invocation this is: a listing runs no scenario, reaches no target and writes no evidence."""
from __future__ import annotations

import pytest

# --collect-only, --fixtures, --fixtures-per-test, --markers, --setup-plan, --setup-only: pytest's ways to look.
_LISTING_OPTIONS = ("collectonly", "showfixtures", "show_fixtures_per_test", "markers", "setupplan", "setuponly")


def lists_only(config: pytest.Config) -> bool:
    return any(getattr(config.option, name, False) for name in _LISTING_OPTIONS)
