"""Root pytest wiring: settings validated before anything runs, step modules registered as plugins."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from dotenv import load_dotenv

from steps.keys import SETTINGS_KEY
from support.settings import ConfigError, load_settings

pytest_plugins = ["steps.fixtures", "steps.reporting", "steps.customers", "steps.deposits", "steps.payments",
                  "steps.clock", "steps.resolutions", "steps.callbacks", "steps.invoices", "steps.signoff"]

ROOT = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    env_file = os.environ.get("CERTIFY_ENV_FILE", str(ROOT / ".env"))
    if env_file and Path(env_file).is_file():
        load_dotenv(env_file, override=False)
    try:
        config.stash[SETTINGS_KEY] = load_settings(os.environ, ROOT)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
